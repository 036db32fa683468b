using LearnDL.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace LearnDL.Web.Identity.Lti;

/// <summary>
/// One line of the class list (<c>GET /api/instructor/students</c> and the Students panel): a student of LearnDL, an LMS
/// member, or both. <paramref name="Launched"/>: they opened LearnDL from the LMS (false for a member who has not yet,
/// and for a student who joined at /join). <paramref name="Id"/> and the LearnDL fields are null for a member who never came.
/// </summary>
public sealed record ClassListRow(string? Id, string Name, DateTimeOffset? JoinedAt, DateTimeOffset? LastSeenAt, int Runs, int? Burst,
    bool Launched, bool InRoster, string? LmsUserId, string? Email, IReadOnlyList<string> Roles);

/// <summary>The LMS's course members, with who launched, and when they were read (or why they could not be).</summary>
public sealed record RosterView(IReadOnlyList<(RosterMember Member, bool Launched, string? StudentId)> Members, string? Course, DateTimeOffset? ReadAt, string? Problem)
{
    public static readonly RosterView None = new([], null, null, null);
}

/// <summary>
/// The course roster from the LMS (NRPS), read with the tool's client-credentials token from the memberships address the
/// latest launch from a course gave (<see cref="LtiContextRecord"/>), and kept a minute so that panels and API calls do not
/// each ask the LMS. Who launched: a student the LMS knows (<see cref="LtiUserRecord"/>: one per issuer and user id).
/// </summary>
public sealed class ClassRoster(IDbContextFactory<LearnDbContext> factory, StudentRegistry students, PlatformTokens tokens, RosterClient client,
    FindPlatformAccess platforms, TimeProvider time, ILogger<ClassRoster> logger)
{
    public static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(1);
    private readonly SemaphoreSlim _reading = new(1, 1);
    private (RosterView View, DateTimeOffset At)? _cached;

    /// <summary>The next read asks the LMS again (someone launched: the launched marks change).</summary>
    public void Forget() => _cached = null;

    /// <summary>The roster of the course LearnDL was last launched from; <see cref="RosterView.None"/> without any.</summary>
    public async Task<RosterView> GetAsync(CancellationToken cancellationToken = default)
    {
        await _reading.WaitAsync(cancellationToken);
        try
        {
            if (_cached is { } c && time.GetUtcNow() - c.At < FreshFor) return c.View;
            var view = await ReadAsync(cancellationToken);
            _cached = (view, time.GetUtcNow());
            return view;
        }
        finally { _reading.Release(); }
    }

    private async Task<RosterView> ReadAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var source = (await db.LtiContexts.AsNoTracking().Where(c => c.MembershipsUrl != null).ToListAsync(cancellationToken)).MaxBy(c => c.LastLaunchAt);
        if (source is null) return RosterView.None;
        var launched = await db.LtiUsers.AsNoTracking().Where(u => u.Issuer == source.Issuer).ToDictionaryAsync(u => u.Subject, u => u.StudentId, cancellationToken);
        if (platforms(source.Issuer, source.ClientId) is not { } platform)
            return new([], source.Title, null, $"LearnDL has no registration for {source.Issuer} any more, so it cannot read the course's members.");
        try
        {
            var members = await FetchAsync(platform, source.MembershipsUrl!, cancellationToken);
            return new([.. members.Where(m => m.IsActive).Select(m => (m, launched.ContainsKey(m.UserId), launched.GetValueOrDefault(m.UserId)))],
                source.Title, time.GetUtcNow(), null);
        }
        catch (Exception e) when (e is PlatformServiceException or UnauthorizedPlatformException or TaskCanceledException or System.Text.Json.JsonException
                                  && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("The course's members could not be read from {Platform}: {Message}", source.Issuer, e.Message);
            var kept = _cached?.View;
            var problem = e is TaskCanceledException or System.Text.Json.JsonException
                ? $"{platform.Host} did not list the course's members just now; LearnDL asks again in a minute."
                : e.Message;
            return new(kept?.Members ?? [], source.Title, kept?.ReadAt, problem);
        }
    }

    private async Task<IReadOnlyList<RosterMember>> FetchAsync(PlatformAccess platform, string url, CancellationToken cancellationToken)
    {
        var token = await tokens.GetAsync(platform, [Nrps.Scope], cancellationToken);
        try { return await client.FetchAsync(url, token, platform.Host, cancellationToken); }
        catch (UnauthorizedPlatformException)
        {
            tokens.Forget(platform, token);
            return await client.FetchAsync(url, await tokens.GetAsync(platform, [Nrps.Scope], cancellationToken), platform.Host, cancellationToken);
        }
    }

    /// <summary>The class list: LearnDL's students (by name), then the LMS's learners who have not come yet.</summary>
    public async Task<IReadOnlyList<ClassListRow>> ClassListAsync(CancellationToken cancellationToken = default)
    {
        var rows = await students.ListAsync();
        var roster = await GetAsync(cancellationToken);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var launched = (await db.LtiUsers.AsNoTracking().ToListAsync(cancellationToken))
            .GroupBy(u => u.StudentId).ToDictionary(g => g.Key, g => g.MaxBy(u => u.LastLaunchAt)!);
        var byUser = roster.Members.ToDictionary(m => m.Member.UserId, m => m.Member);
        var list = rows.Select(s =>
        {
            var lms = launched.GetValueOrDefault(s.Id);
            var member = lms is null ? null : byUser.GetValueOrDefault(lms.Subject);
            return new ClassListRow(s.Id, s.Name, s.JoinedAt, s.LastSeenAt, s.Runs, s.Burst, lms is not null, member is not null, lms?.Subject, member?.Email ?? lms?.Email, member?.Roles ?? []);
        }).ToList();
        var present = rows.Select(r => r.Id).ToHashSet();
        list.AddRange(roster.Members.Where(m => m.Member.IsLearner && (m.StudentId is null || !present.Contains(m.StudentId)))
            .OrderBy(m => m.Member.Name, StringComparer.OrdinalIgnoreCase)
            .Select(m => new ClassListRow(null, m.Member.Name.Length > 0 ? m.Member.Name : m.Member.Email ?? m.Member.UserId, null, null, 0, null,
                m.Launched, true, m.Member.UserId, m.Member.Email, m.Member.Roles)));
        return list;
    }
}
