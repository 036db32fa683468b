using LearnDL.Training.Datasets;
using LearnDL.Web.Identity;
using Microsoft.Extensions.Options;

namespace LearnDL.Web.Datasets;

/// <summary>The datasets' registrations, for the app and for tests that wire the services without it.</summary>
public static class DatasetSetup
{
    /// <summary>The engine's catalog (from <see cref="LearnDLOptions"/>), its cached directory, and uploads.</summary>
    public static IServiceCollection AddDatasets(this IServiceCollection services)
    {
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<LearnDLOptions>>().Value.ToDatasetOptions());
        services.AddSingleton<DatasetCatalog>();
        services.AddSingleton<DatasetDirectory>();
        services.AddSingleton<UploadedDatasets>();
        // Uploads are named by the same rules as students.
        services.AddSingleton<StudentRegistry>();
        services.AddSingleton<StudentNetworks>();
        services.AddSingleton<NewNameAllowance>();
        // Who may see and delete an upload.
        services.AddAccessRules();
        return services;
    }
}
