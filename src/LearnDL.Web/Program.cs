using LearnDL.Web;

var builder = WebApplication.CreateBuilder(args);
// Package assets (_content/...) are served from the build output too, not only under `dotnet run`.
builder.WebHost.UseStaticWebAssets();
builder.AddLearnDL();

var app = builder.Build();
await app.UseLearnDLAsync();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
