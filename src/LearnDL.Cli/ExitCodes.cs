namespace LearnDL.Cli;

public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    /// <summary>Bad arguments, an unknown or unavailable dataset, or a picture that is refused.</summary>
    public const int BadInput = 2;
    /// <summary>The requested device cannot be used.</summary>
    public const int DeviceUnavailable = 3;
    /// <summary>Cancelled with Ctrl+C (128 + SIGINT).</summary>
    public const int Cancelled = 130;
}
