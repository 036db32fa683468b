namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>
/// A GPU's peak figures as its vendor's datasheet gives them. Peaks are what the chip can do at
/// best, not what a program gets; the lessons use them only for ratios between cards, and say so.
/// </summary>
public sealed record GpuDatasheet(
    string Id, string Name, string Architecture,
    double Fp32Tflops, double HalfTflops, string HalfNote, bool HalfWithSparsity,
    double MemoryGb, string MemoryKind, double BandwidthGbPerSecond,
    string Source, string WhereLearnersMeetIt);

/// <summary>The cards the course talks about, with their datasheets named.</summary>
public static class GpuDatasheets
{
    public static readonly GpuDatasheet T4 = new(
        "t4", "NVIDIA T4", "Turing",
        Fp32Tflops: 8.1, HalfTflops: 65, HalfNote: "FP16 mixed precision on its Tensor Cores", HalfWithSparsity: false,
        MemoryGb: 16, MemoryKind: "GDDR6", BandwidthGbPerSecond: 320,
        Source: "NVIDIA T4 Tensor Core GPU datasheet",
        WhereLearnersMeetIt: "Google Colab's free tier and Kaggle's notebooks");

    public static readonly GpuDatasheet P100 = new(
        "p100", "NVIDIA Tesla P100 (PCIe, 16 GB)", "Pascal",
        Fp32Tflops: 9.3, HalfTflops: 18.7, HalfNote: "FP16, without Tensor Cores", HalfWithSparsity: false,
        MemoryGb: 16, MemoryKind: "HBM2", BandwidthGbPerSecond: 732,
        Source: "NVIDIA Tesla P100 PCIe datasheet",
        WhereLearnersMeetIt: "Kaggle's notebooks");

    public static readonly GpuDatasheet H200 = new(
        "h200", "NVIDIA H200 (SXM)", "Hopper",
        Fp32Tflops: 67, HalfTflops: 1979, HalfNote: "FP16 on its Tensor Cores, a figure the datasheet gives with sparsity (half that for ordinary dense work)", HalfWithSparsity: true,
        MemoryGb: 141, MemoryKind: "HBM3e", BandwidthGbPerSecond: 4800,
        Source: "NVIDIA H200 Tensor Core GPU datasheet, H200 SXM column (the reference file does not record which H200 board was measured)",
        WhereLearnersMeetIt: "paid clouds, and the reference machine of this course");

    public static readonly IReadOnlyList<GpuDatasheet> All = [T4, P100, H200];

    /// <summary>
    /// Images per second on <paramref name="card"/>, estimated from the reference GPU's measured speed
    /// scaled by the datasheets' FP32 ratio. An optimistic estimate: a smaller card is usually held back
    /// by its memory bandwidth first, and the T4's bandwidth ratio to the H200 is smaller still.
    /// </summary>
    public static double EstimateFromRatio(GpuDatasheet card, double referenceImagesPerSecond) =>
        referenceImagesPerSecond * card.Fp32Tflops / H200.Fp32Tflops;
}
