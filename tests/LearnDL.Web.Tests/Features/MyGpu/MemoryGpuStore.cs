using LearnDL.Web.Features.MyGpu;

namespace LearnDL.Web.Tests;

/// <summary>A learner's card kept in memory, standing in for the browser's storage in component tests.</summary>
internal sealed class MemoryGpuStore : IMyGpuStore
{
    public LearnerGpu? Gpu { get; set; }
    public Task<LearnerGpu?> LoadAsync() => Task.FromResult(Gpu);
    public Task SaveAsync(LearnerGpu gpu) { Gpu = gpu; return Task.CompletedTask; }
    public Task ClearAsync() { Gpu = null; return Task.CompletedTask; }
}
