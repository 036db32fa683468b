using LearnDL.Training.Datasets;
using LearnDL.Web.Data;
using LearnDL.Web.Datasets;
using LearnDL.Web.Features.Shared;
using LearnDL.Web.Identity;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Features.Datasets;

/// <summary>Every dataset with a few pictures, and the upload of a new one.</summary>
public partial class DatasetsPage
{
    [Inject] public required DatasetDirectory Directory { get; set; }
    [Inject] public required UploadedDatasets Uploads { get; set; }
    [Inject] public required CurrentOwner Owner { get; set; }
    [Inject] public required ClientAddress Address { get; set; }
    [Inject] public required IOptions<LearnDLOptions> Options { get; set; }
    [Inject] public required Microsoft.JSInterop.IJSRuntime JS { get; set; }

    private List<(DatasetInfo Info, UploadedDatasetRecord? Upload)> _datasets = [];
    private readonly Dictionary<string, IReadOnlyList<Thumbnail>> _thumbnails = [];
    private RunOwner _me = null!;
    private IBrowserFile? _file;
    private string? _name;
    private bool _importing;
    private ImportOutcome? _outcome;
    private string? _deleted;
    private HashSet<Guid> _deletable = [];
    private bool _listening;

    private UploadOptions Limits => Options.Value.Uploads;

    private string UploadScope => !Options.Value.Class.IsOn ? ""
        : _me.IsInstructor ? "As the instructor, what you upload is for the whole class."
        : $"What you upload is for you alone; your uploads may take up to {Sizes.Megabytes(Limits.QuotaPerOwnerBytes)} once stored.";

    protected override async Task OnInitializedAsync()
    {
        _me = await Owner.GetAsync();
        await LoadAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive)
        {
            await InputFiles.ListeningAsync(JS);
            _listening = true;
            StateHasChanged();
        }
        // Pictures after the page is up: the first time a dataset is shown they are made, off this circuit.
        foreach (var (info, upload) in _datasets.Where(d => d.Info.Available && !_thumbnails.ContainsKey(d.Info.Name)).ToList())
        {
            _thumbnails[info.Name] = await Directory.ThumbnailsAsync(upload is null ? info.Name : Uploads.Info(upload).Name);
            StateHasChanged();
        }
    }

    private async Task LoadAsync()
    {
        var uploads = await Uploads.VisibleToAsync(_me);
        _deletable = [];
        foreach (var upload in uploads)
            if (await Owner.MayAsync(upload, Access.Delete)) _deletable.Add(upload.Id);
        _datasets = [.. Directory.List().Select(d => (d, (UploadedDatasetRecord?)null)), .. uploads.Select(u => (Uploads.ListInfo(u), (UploadedDatasetRecord?)u))];
    }

    private void Choose(InputFileChangeEventArgs e)
    {
        _file = e.File;
        _outcome = null;
        if (string.IsNullOrWhiteSpace(_name)) _name = Path.GetFileNameWithoutExtension(e.File.Name);
    }

    private async Task ImportAsync()
    {
        if (_file is null) return;
        _importing = true;
        try
        {
            // The stream stops one byte past the limit: an oversized zip is refused without being sent whole.
            await using var stream = _file.OpenReadStream(Limits.MaxZipBytes + 1);
            _outcome = await Uploads.ImportAsync(stream, _file.Size, _name, _me, Address.Value);
            if (_outcome.Accepted) { _file = null; _name = null; }
        }
        catch (IOException e) { _outcome = new(false, $"Refused: the upload broke off ({e.Message}). Nothing was kept.", null); }
        finally { _importing = false; }
        await LoadAsync();
    }

    private async Task DeleteAsync(UploadedDatasetRecord upload)
    {
        _deleted = await Uploads.DeleteAsync(upload.Id, _me) ? $"Deleted {upload.Name}." : $"{upload.Name} could not be deleted.";
        await LoadAsync();
    }
}
