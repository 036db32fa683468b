namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>
/// Where a run's time per image went on this server, and what happens when the network gets a GPU
/// that is <see cref="GpuFactor"/> times faster: decoding and resizing stay on one CPU thread, and the
/// slower of the two sets the pace.
/// </summary>
public sealed record LoadingBottleneck(int Images, double LoadingSeconds, double NetworkSeconds, double GpuFactor)
{
    public double LoadingPerImage => LoadingSeconds / Images;
    public double NetworkPerImage => NetworkSeconds / Images;
    public double GpuNetworkPerImage => NetworkPerImage / GpuFactor;

    /// <summary>Images per second here: the network, with loading overlapped on its own thread.</summary>
    public double RateHere => 1 / Math.Max(LoadingPerImage, NetworkPerImage);
    /// <summary>Images per second with the faster network: the slower of loading and network.</summary>
    public double RateWithGpu => 1 / Math.Max(LoadingPerImage, GpuNetworkPerImage);
    public bool LoadingBound => LoadingPerImage > GpuNetworkPerImage;
    /// <summary>How much faster the featurize stage really gets, against the GPU's factor.</summary>
    public double RealGain => RateWithGpu / RateHere;

    public static LoadingBottleneck? From(MeasuredRun? run, double gpuFactor) =>
        run is { Images: > 0, LoadingSeconds: > 0, NetworkSeconds: > 0 } r ? new(r.Images, r.LoadingSeconds, r.NetworkSeconds, gpuFactor) : null;
}
