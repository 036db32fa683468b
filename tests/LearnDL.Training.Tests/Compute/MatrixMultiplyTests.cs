using LearnDL.Training.Compute;

namespace LearnDL.Training.Tests;

/// <summary>Lesson 2's multiply: every way gives the same product, and the measuring is bounded and stoppable.</summary>
public class MatrixMultiplyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(13)]  // not a multiple of the SIMD width: the tail loop counts too
    [InlineData(64)]
    public void EveryWay_ComputesTheSameProduct(int n)
    {
        var random = new Random(n);
        var a = Enumerable.Range(0, n * n).Select(_ => random.NextSingle() - 0.5f).ToArray();
        var b = Enumerable.Range(0, n * n).Select(_ => random.NextSingle() - 0.5f).ToArray();
        var expected = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int k = 0; k < n; k++) expected[i * n + j] += (double)a[i * n + k] * b[k * n + j];

        var scalar = new float[n * n];
        MatrixMultiplyBenchmark.OneThread(a, b, scalar, n);
        var simd = new float[n * n];
        for (int i = 0; i < n; i++) MatrixMultiplyBenchmark.SimdRow(a, b, simd, n, i);
        for (int i = 0; i < n * n; i++)
        {
            Assert.Equal(expected[i], scalar[i], 3);
            Assert.Equal(expected[i], simd[i], 3);
        }
    }

    [Fact]
    public void Run_MeasuresEveryWayAtEverySize_WithTheLibraryMatchingTheLoops()
    {
        using var benchmark = new MatrixMultiplyBenchmark(gpu: false);
        var timings = benchmark.Run(MatrixMultiplyBenchmark.CpuMethods, [16, 48], CancellationToken.None).ToList();
        Assert.Equal(8, timings.Count);
        Assert.All(timings, t => Assert.True(t.Seconds > 0 && t.GigaflopsPerSecond > 0));
        Assert.Equal([16, 16, 16, 16, 48, 48, 48, 48], timings.Select(t => t.Size));
        Assert.Throws<ArgumentOutOfRangeException>(() => benchmark.Run([MultiplyMethod.Simd], [MatrixMultiplyBenchmark.MaxSize + 1], CancellationToken.None).ToList());
    }

    [Fact]
    public void Run_Cancelled_StopsAtOnce()
    {
        using var benchmark = new MatrixMultiplyBenchmark(gpu: false);
        using var stop = new CancellationTokenSource();
        var measured = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var _ in benchmark.Run(MatrixMultiplyBenchmark.CpuMethods, MatrixMultiplyBenchmark.Sizes, stop.Token))
                if (++measured == 2) stop.Cancel();
        });
        Assert.Equal(2, measured);
    }

    [Fact]
    public void Gpu_OnTheCpuBuild_IsRefusedWithAReason()
    {
        var error = Assert.Throws<DeviceUnavailableException>(() => new MatrixMultiplyBenchmark(gpu: true));
        Assert.Contains("GPU could not run a matrix multiply", error.Message);
    }
}
