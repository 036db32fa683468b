namespace LearnDL.Web.Features.Lessons.Demos;

/// <summary>A job of <see cref="Seconds"/>, of which a share <see cref="Part"/> is sped up <see cref="Speedup"/> times.</summary>
public sealed record AmdahlCase(double Seconds, double Part, double Speedup)
{
    /// <summary>Amdahl's law: 1 / ((1 − p) + p / s).</summary>
    public double Overall => 1 / ((1 - Part) + Part / Speedup);
    public double NewSeconds => Seconds / Overall;
    public double UntouchedSeconds => Seconds * (1 - Part);
    public double SpedUpSeconds => Seconds * Part / Speedup;
    /// <summary>However large the speed-up, the whole job can never be faster than this.</summary>
    public double Limit => Part >= 1 ? double.PositiveInfinity : 1 / (1 - Part);
}

/// <summary>The Amdahl explorer's sliders: the share as a whole percentage, the speed-up on a logarithmic scale from 1× to 1000×.</summary>
public static class AmdahlSliders
{
    public const int SpeedupSteps = 60; // 20 steps per factor of ten

    public static double SpeedupAt(int step) => Math.Round(Math.Pow(10, Math.Clamp(step, 0, SpeedupSteps) * 3.0 / SpeedupSteps), 1);

    public static int StepFor(double speedup) => (int)Math.Round(Math.Log10(Math.Clamp(speedup, 1, 1000)) * SpeedupSteps / 3.0);
}
