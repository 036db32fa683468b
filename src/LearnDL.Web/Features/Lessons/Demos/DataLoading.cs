namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>
/// Where a run's time per image went on this server, and what happens when the network gets a GPU
/// that is <see cref="GpuFactor"/> times faster. On a CPU run one thread decodes and resizes (the network
/// takes the other cores); beside a GPU LearnDL gives that to every core but one (<see cref="GpuPreparers"/>),
/// and the slower of decoding and the network sets the pace.
/// </summary>
public sealed record LoadingBottleneck(int Images, double LoadingSeconds, double NetworkSeconds, double GpuFactor, int GpuPreparers = 1)
{
    public double LoadingPerImage => LoadingSeconds / Images;
    public double NetworkPerImage => NetworkSeconds / Images;
    public double GpuNetworkPerImage => NetworkPerImage / GpuFactor;
    /// <summary>Decoding's time per image beside a GPU: the one-thread time shared by the preparers.</summary>
    public double GpuLoadingPerImage => LoadingPerImage / GpuPreparers;

    /// <summary>Images per second here: the network, with loading overlapped on its own thread.</summary>
    public double RateHere => 1 / Math.Max(LoadingPerImage, NetworkPerImage);
    /// <summary>Images per second with the faster network: the slower of loading and network.</summary>
    public double RateWithGpu => 1 / Math.Max(GpuLoadingPerImage, GpuNetworkPerImage);
    public bool LoadingBound => GpuLoadingPerImage > GpuNetworkPerImage;
    /// <summary>How much faster the featurize stage really gets, against the GPU's factor.</summary>
    public double RealGain => RateWithGpu / RateHere;

    public static LoadingBottleneck? From(MeasuredRun? run, double gpuFactor, int cores = 1) =>
        run is { Images: > 0, LoadingSeconds: > 0, NetworkSeconds: > 0 } r ? new(r.Images, r.LoadingSeconds, r.NetworkSeconds, gpuFactor, JobSizes.GpuPreparers(cores)) : null;
}
