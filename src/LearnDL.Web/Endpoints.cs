using LearnDL.Web.Features.Instructor;
using LearnDL.Web.Features.Lessons;
using LearnDL.Web.Features.MyGpu;
using LearnDL.Web.Identity;
using LearnDL.Web.Identity.Lti;
using LearnDL.Web.RunService;
using LearnDL.Web.Telemetry;
using LearnDL.Web.Workers;

namespace LearnDL.Web;

/// <summary>
/// Every HTTP endpoint of LearnDL besides the pages, found here: each feature maps its own in its folder, with one
/// <c>Map...</c> extension each, and this is the one list of them. Who may call each is its policy (Identity/AccessRules.cs).
/// </summary>
public static class Endpoints
{
    public static IEndpointRouteBuilder MapLearnDLEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz").AllowAnonymous();
        app.MapRunApi();          // /api/runs: queue, state, cancel, list, model (RunService/RunApi.cs)
        app.MapInstructorApi();   // /api/instructor: queue, limits, results, comparison, pulse, demo, join code (Features/Instructor)
        app.MapStudentsApi();     // /api/instructor/students (Features/Instructor/StudentsApi.cs)
        app.MapLessonApi();       // /api/lessons: opened, answers, progress (Features/Lessons/LessonApi.cs)
        app.MapGpuNotebook();     // /notebooks: the notebook that measures a learner's GPU (Features/MyGpu)
        app.MapWorkersApi();      // /api/workers and Hangfire's dashboard at /instructor/jobs (Workers/WorkersSetup.cs)
        app.MapDeepLinkPicker();  // /lti/deep-linking?launch=: the lesson picker of an LMS's deep linking request (Features/Lessons/DeepLinkPicker.cs)
        app.MapClassSignIn();     // /account: join, the instructor's sign-in, sign-out (Identity/ClassEndpoints.cs)
        app.MapMetrics();         // /metrics: Prometheus, for the instructor or LearnDL:Metrics:AllowedNetworks (Telemetry/TelemetrySetup.cs)
        app.MapLti();             // /lti: LTI 1.3 login, launch, jwks, config (Identity/Lti/LtiEndpoints.cs)
        return app;
    }
}
