using System.Net;
using LearnDL.Web.Identity;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LearnDL.Web.Tests.Class;

/// <summary>The name rules (NFKC, UTS #39 skeleton, one script, no fillers, bounded accents) and the new-name allowance, without the app.</summary>
public class StudentNamesTests
{
    private static (string? Name, string? Problem) Clean(string raw) => StudentNames.Clean(raw, 40, "empty");

    [Theory]
    [InlineData("Zoë")]
    [InlineData("José")]
    [InlineData("Мария")]
    [InlineData("李雷")]
    [InlineData("O'Brien")]
    [InlineData("Νίκος Παπαδόπουλος")]
    [InlineData("山田はなこ")] // Japanese: Han with Hiragana
    [InlineData("김민준")]
    [InlineData("สมศักดิ์")] // Thai: marks on letters
    [InlineData("प्रियंका")] // Devanagari
    [InlineData("Nguyễn Văn An")]
    [InlineData("Student 12")]
    [InlineData("Anne-Marie d'Arc")]
    public void Clean_NamesOfRealPeople_InAnyOneScript_AreAccepted(string name) => Assert.Equal((name, null), Clean(name));

    [Theory]
    [InlineData("Alice\u3164", "invisible")]
    [InlineData("\u3164", "invisible")]
    [InlineData("\u115F\u1160Bob", "invisible")]
    [InlineData("Bob\uFFA0", "invisible")]
    [InlineData("B\u200Bob", "invisible")]
    [InlineData("Bo\u200Db", "invisible")]
    [InlineData("Bob\u2060", "invisible")]
    [InlineData("\u0406nstructor", "kept for the instructor")]
    [InlineData("Instruct\u03BFr", "kept for the instructor")]
    [InlineData("INSTRUCTOR", "kept for the instructor")]
    [InlineData("lnstructor", "kept for the instructor")]
    [InlineData("\uFF29\uFF4E\uFF53\uFF54\uFF52\uFF55\uFF43\uFF54\uFF4F\uFF52", "kept for the instructor")] // fullwidth
    [InlineData("\u041Caria Lopez", "mixes Cyrillic and Latin")]
    [InlineData("Paypa\u0142 \u03B1", "mixes Greek and Latin")]
    [InlineData("a\u0301\u0301\u0301", "Too many accents")]
    [InlineData("\u0301a", "Too many accents")]
    [InlineData("Al\u0000ice", "Use letters")]
    [InlineData("<b>x</b>", "Use letters")]
    public void Clean_LookAlikeAndInvisibleNames_AreRefusedWithAReason(string name, string says)
    {
        var (cleaned, problem) = Clean(name);
        Assert.Null(cleaned);
        Assert.Contains(says, problem);
    }

    [Fact]
    public void Clean_FoldsFullwidthAndThePhonesApostrophe()
    {
        Assert.Equal("alice", Clean("\uFF41\uFF4C\uFF49\uFF43\uFF45").Name);
        Assert.Equal("O'Neil", Clean("O\u2019Neil").Name);
        Assert.Equal("Ada Lovelace", Clean("  Ada \u3000 Lovelace ").Name); // an ideographic space is a space
    }

    [Theory]
    [InlineData("Alice", "ALICE")]
    [InlineData("Alice", "\u0430lice")] // Cyrillic а
    [InlineData("Maria Lopez", "\u041Caria Lopez")] // Cyrillic М
    [InlineData("MAMA", "\u041C\u0410\u041C\u0410")] // all Cyrillic МАМА
    [InlineData("Case", "\u0421\u0430\u0455\u0435")] // all Cyrillic Сасе
    [InlineData("Ian", "lan")] // capital I, small L
    [InlineData("Instructor", "\u0406nstructor")]
    [InlineData("Instructor", "Instruct\u03BFr")]
    [InlineData("Dana", "Dana\u3164")] // a filler in a name stored before the checks
    public void LookAlike_NamesThatLookTheSame(string a, string b) => Assert.True(StudentNames.LookAlike(a, b));

    [Theory]
    [InlineData("Dana", "Dina")]
    [InlineData("Zoë", "Zoe")]
    [InlineData("Ian", "Lan")]
    [InlineData("ian", "lan")]
    [InlineData("Мария", "Maria")]
    public void LookAlike_NamesThatDiffer(string a, string b) => Assert.False(StudentNames.LookAlike(a, b));

    [Fact]
    public void Key_IsShapedByCaseAndConfusables()
    {
        Assert.Equal(StudentNames.Key("Alice"), StudentNames.Key("ALICE"));
        Assert.Equal(StudentNames.Key("alice"), StudentNames.Key(Clean("\uFF41\uFF4C\uFF49\uFF43\uFF45").Name!));
        Assert.NotEqual(StudentNames.Key("Dana"), StudentNames.Key("Dina"));
    }

    [Fact]
    public void Tables_KnowScriptsAndIgnorables()
    {
        Assert.Equal("Latin", StudentNames.ScriptOf('a'));
        Assert.Equal("Cyrillic", StudentNames.ScriptOf('\u0406'));
        Assert.Equal("Greek", StudentNames.ScriptOf('\u03BF'));
        Assert.Equal("Han", StudentNames.ScriptOf('李'));
        Assert.Equal("Common", StudentNames.ScriptOf('1'));
        Assert.Equal("Inherited", StudentNames.ScriptOf('\u0301'));
        Assert.True(StudentNames.IsIgnorable(0x3164));
        Assert.False(StudentNames.IsIgnorable('a'));
        Assert.Equal("15.0.0", UnicodeTables.Version);
    }

    [Fact]
    public void NetworkOf_AnIPv6AddressIsItsSlash64_AndAMappedIPv4IsTheIPv4()
    {
        Assert.Equal("2001:db8:7:1::/64", StudentNetworks.Of(IPAddress.Parse("2001:db8:7:1:aaaa::10")));
        Assert.Equal(StudentNetworks.Of(IPAddress.Parse("2001:db8:7:1::1")), StudentNetworks.Of(IPAddress.Parse("2001:db8:7:1:ffff::2")));
        Assert.Equal("192.0.2.4", StudentNetworks.Of(IPAddress.Parse("::ffff:192.0.2.4")));
        Assert.Null(StudentNetworks.Of(null));
    }

    /// <summary>The defaults, argued in <see cref="NewNameAllowance"/>: a class of 100 behind one router joins, one script's burst does not.</summary>
    [Fact]
    public void NewNameAllowance_WithTheDefaults_LetsAClassOf100BehindOneRouterJoin_ButNotOneStudentsBurst()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T09:00:00Z"));
        var allowance = new NewNameAllowance(Options.Create(new LearnDLOptions()), time);

        // The review's 56 names in 1.5 s: the burst's share, no more.
        var made = 0;
        for (var i = 0; i < 56; i++, time.Advance(TimeSpan.FromMilliseconds(27))) if (allowance.TryTake("198.51.100.7", out _)) made++;
        Assert.Equal(30, made);
        Assert.False(allowance.TryTake("198.51.100.7", out var wait));
        Assert.InRange(wait, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

        // A class of 100 pressing Join over two minutes behind one router: each refused student waits seconds, and all are in within three minutes.
        var joined = 0;
        var started = time.GetUtcNow();
        for (var student = 0; student < 100;)
        {
            if (allowance.TryTake("192.0.2.1", out var retry)) { joined++; student++; time.Advance(TimeSpan.FromSeconds(1.2)); }
            else { Assert.True(retry < TimeSpan.FromSeconds(5)); time.Advance(retry); }
        }
        Assert.Equal(100, joined);
        Assert.True(time.GetUtcNow() - started < TimeSpan.FromMinutes(3));

        // Nothing is counted for an unknown network, and a name given back is free again.
        Assert.True(allowance.TryTake(null, out _));
        while (allowance.TryTake("203.0.113.1", out _)) { }
        allowance.GiveBack("203.0.113.1");
        Assert.True(allowance.TryTake("203.0.113.1", out _));
    }

    [Fact]
    public void NewNameAllowance_CapsAnHour()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T09:00:00Z"));
        var allowance = new NewNameAllowance(Options.Create(new LearnDLOptions()), time);
        var made = 0;
        for (var i = 0; i < 3600; i++, time.Advance(TimeSpan.FromSeconds(1))) if (allowance.TryTake("198.51.100.7", out _)) made++;
        Assert.Equal(200, made);
    }

    [Fact]
    public void Bursts_FlagEightNamesWithinTwoSecondsFromOneNetwork_NotAClassArrivingOverMinutes()
    {
        var t0 = DateTimeOffset.Parse("2026-12-07T09:00:00Z");
        var names = Enumerable.Range(0, 10).Select(i => ($"s{i}", "198.51.100.7", t0.AddMilliseconds(100 * i)))
            .Concat(Enumerable.Range(0, 40).Select(i => ($"c{i}", "192.0.2.1", t0.AddSeconds(3 * i))));
        var bursts = StudentRegistry.Bursts(names);
        Assert.Equal(10, bursts.Count);
        Assert.All(bursts, b => Assert.StartsWith("s", b.Key));
        Assert.All(bursts.Values, v => Assert.Equal(10, v));
    }
}
