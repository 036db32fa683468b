using System.Text.Json;
using LearnDL.Training.Compute;
using LearnDL.Training.Featurization;
using LearnDL.Training.Precision;

namespace LearnDL.Training.Tests;

/// <summary>The INT8 network derived once for the tests: calibrated on few images, so it is quick (runs use 300).</summary>
public sealed class Int8Fixture : IDisposable
{
    public TempFolder Temp { get; } = new();
    public byte[] Fp32 { get; } = ResNet18Model.FusedModel();
    public byte[] Int8 { get; }
    public QuantizationSummary Summary { get; }
    /// <summary>Built-in images neither calibration saw, laid out for the network.</summary>
    public List<float[]> CheckBatches { get; }

    public Int8Fixture()
    {
        var catalog = TestData.Catalog(Temp.Path);
        (Int8, Summary) = Int8Network.Derive(catalog, null, calibrationImages: 40, CalibrationMethod.MinMax);
        CheckBatches = Int8Network.CalibrationBatches(catalog, 30, seed: 5);
    }

    public void Dispose() => Temp.Dispose();
}

/// <summary>ResNet18 at INT8 (issue 25): batch normalisation folded exactly, static QDQ quantization that ONNX Runtime runs on integer kernels.</summary>
public class Int8Tests(Int8Fixture f) : IClassFixture<Int8Fixture>
{
    [Fact]
    public void FoldingBatchNormalisation_KeepsTheFeatures_WithinFloatRounding()
    {
        var folded = FoldedNetwork.Of(f.Fp32);
        Assert.Equal(22, folded.FoldedBatchNorms);
        var model = new OnnxModel(folded.Model);
        Assert.DoesNotContain(model.Nodes, n => n.OpType == "BatchNormalization");
        Assert.Equal(13, model.Opsets[""]);
        var difference = FeatureDifference.Between(FeatureDifference.Features(f.Fp32, f.CheckBatches), FeatureDifference.Features(folded.Model, f.CheckBatches));
        Assert.Equal(30, difference.Images);
        Assert.True(difference.RelativeDifference < 1e-3, $"folded features differ by {difference.RelativeDifference:E2} of the largest");
    }

    [Fact]
    public void Int8Network_RunsOnIntegerKernels_AndKeepsTheFp32InputAndOutput()
    {
        var kernels = IntegerKernels.Of(f.Int8);
        Assert.True(kernels.RunsOnIntegers, kernels.Describe());
        Assert.Equal(22, kernels.QLinearConv); // every convolution of ResNet18
        Assert.Equal(9, kernels.QLinearAdd); // every residual addition (this export has 9 blocks: 22 = 1 + 9 x 2 + 3 convolutions)
        Assert.Equal(22, f.Summary.QuantizedConvs);

        using var fp32 = new ResNet18Model(ComputeDevice.Cpu, f.Fp32, threads: 1);
        using var int8 = new ResNet18Model(ComputeDevice.Cpu, f.Int8, threads: 1);
        Assert.Equal(fp32.InputName, int8.InputName);
        Assert.Equal(fp32.OutputName, int8.OutputName);
        Assert.Equal(fp32.FeatureShape(4), int8.FeatureShape(4));
        // int8 weights: about a quarter of the file.
        Assert.InRange(f.Int8.Length, f.Fp32.Length / 5, f.Fp32.Length / 3);
    }

    [Fact]
    public void Int8Features_StayCloseToFp32_ImageByImage()
    {
        var difference = FeatureDifference.Between(FeatureDifference.Features(f.Fp32, f.CheckBatches), FeatureDifference.Features(f.Int8, f.CheckBatches));
        Assert.True(difference.MeanCosine > 0.99, $"mean cosine {difference.MeanCosine:0.00000}");
        Assert.True(difference.MaxAbsDifference > 0, "INT8 that equals FP32 exactly was not quantized");
        Assert.True(difference.RelativeDifference < 0.25, $"largest difference {difference.RelativeDifference:P1} of the largest feature");
    }

    [Fact]
    public void ActivationGrid_HoldsZeroExactly_AndCoversTheRange()
    {
        var (scale, zero) = new ActivationRange(-1.5f, 6f).UInt8();
        Assert.Equal(7.5f / 255, scale, 6);
        // q = 0 and q = 255 land on the range's ends (within half a step); 0 itself is the grid point q = zero.
        Assert.InRange((0 - zero) * scale, -1.5f - scale / 2, -1.5f + scale / 2);
        Assert.InRange((255 - zero) * scale, 6f - scale / 2, 6f + scale / 2);
        Assert.Equal(0f, (zero - zero) * scale);
        Assert.Equal(51, zero); // 1.5 / (7.5 / 255) = 51 exactly
        Assert.Equal(0, new ActivationRange(0, 4).UInt8().ZeroPoint); // after ReLU: ONNX Runtime can drop the ReLU
    }

    [Fact]
    public void Int8Network_IsDerivedOnce_ThenReadFromTheDataFolder()
    {
        using var temp = new TempFolder();
        var path = Int8Network.PathIn(temp.Path);
        Int8Network.Save(f.Int8, path); // as `learndl quantize` leaves it
        Assert.Equal(f.Int8, Int8Network.Load(TestData.Catalog(temp.Path), temp.Path));
        Assert.False(File.Exists(path + ".partial"));
        Assert.Contains(Int8Network.Recipe, Path.GetFileName(path));
    }
}
