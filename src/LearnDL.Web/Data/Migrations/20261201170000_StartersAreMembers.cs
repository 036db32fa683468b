using LearnDL.Web.Data;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LearnDL.Web.Data.Migrations;

/// <summary>
/// A run's members now include its starter, so a starter who leaves a shared run is off it like anyone
/// else. Runs stored before get their starter as a member. Data only: the model is unchanged.
/// </summary>
[DbContext(typeof(LearnDbContext))]
[Migration("20261201170000_StartersAreMembers")]
public partial class StartersAreMembers : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(
        """
        INSERT OR IGNORE INTO "RunMembers" ("RunId", "OwnerId", "JoinedAt")
        SELECT "Id", "OwnerId", datetime(("CreatedAt" - 621355968000000000) / 10000000, 'unixepoch') || '+00:00' FROM "Runs";
        """);

    protected override void Down(MigrationBuilder migrationBuilder) { }
}
