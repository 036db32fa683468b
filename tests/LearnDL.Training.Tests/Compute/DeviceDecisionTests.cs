using LearnDL.Training.Compute;

namespace LearnDL.Training.Tests;

/// <summary>The probe decides (a device and a reason, as data); <see cref="DeviceMessages"/> words it, with the words learners read.</summary>
public class DeviceDecisionTests
{
    [Theory]
    [InlineData(DeviceRequest.Cpu, true, true, ComputeDevice.Cpu, DeviceReason.CpuRequested)]
    [InlineData(DeviceRequest.Gpu, false, false, null, DeviceReason.GpuRequestedCpuBuild)]
    [InlineData(DeviceRequest.Gpu, true, false, null, DeviceReason.GpuRequestedCudaUnusable)]
    [InlineData(DeviceRequest.Gpu, true, true, ComputeDevice.Gpu, DeviceReason.GpuRequestedCudaLoaded)]
    [InlineData(DeviceRequest.Auto, true, true, ComputeDevice.Gpu, DeviceReason.AutoChoseGpu)]
    [InlineData(DeviceRequest.Auto, false, false, ComputeDevice.Cpu, DeviceReason.AutoFellBackCpuBuild)]
    [InlineData(DeviceRequest.Auto, true, false, ComputeDevice.Cpu, DeviceReason.AutoFellBackCudaUnusable)]
    public void Decide_GivesTheDeviceAndTheReason(DeviceRequest request, bool gpuBuild, bool cudaUsable, ComputeDevice? device, DeviceReason reason) =>
        Assert.Equal(new DeviceDecision(device, reason), DeviceProbe.Decide(request, gpuBuild, cudaUsable));

    [Fact]
    public void Choose_OnTheCpuBuild_SaysWhatTheLearnerReads()
    {
        var probe = new DeviceProbe(new RuntimeBuild("cpu"), "/nonexistent/nvidia-smi");
        Assert.Equal(new DeviceChoice(ComputeDevice.Cpu, "The CPU was requested."), probe.Choose(DeviceRequest.Cpu));
        Assert.Equal(new DeviceChoice(ComputeDevice.Cpu, "Auto fell back to the CPU: this is the CPU build (no CUDA provider compiled in)."), probe.Choose(DeviceRequest.Auto));
        var refused = Assert.Throws<DeviceUnavailableException>(() => probe.Choose(DeviceRequest.Gpu));
        Assert.StartsWith("The GPU was requested, but this is the CPU build of LearnDL: it carries Microsoft.ML.OnnxRuntime, which has no CUDA provider", refused.Message);
        Assert.Contains("The GPU build needs the NVIDIA driver, CUDA 13 and cuDNN 9.", refused.Message);
    }
}
