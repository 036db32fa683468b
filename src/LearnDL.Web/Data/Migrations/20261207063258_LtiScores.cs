using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LearnDL.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class LtiScores : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "LtiLineItems",
                columns: table => new
                {
                    ResourceLinkRecordId = table.Column<long>(type: "INTEGER", nullable: false),
                    LineItemUrl = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LtiLineItems", x => x.ResourceLinkRecordId);
                    table.ForeignKey(
                        name: "FK_LtiLineItems_LtiResourceLinks_ResourceLinkRecordId",
                        column: x => x.ResourceLinkRecordId,
                        principalTable: "LtiResourceLinks",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LtiScorePosts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ResourceLinkRecordId = table.Column<long>(type: "INTEGER", nullable: false),
                    StudentId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Lesson = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    ScoreGiven = table.Column<int>(type: "INTEGER", nullable: false),
                    ScoreMaximum = table.Column<int>(type: "INTEGER", nullable: false),
                    Completed = table.Column<bool>(type: "INTEGER", nullable: false),
                    ScoreAt = table.Column<long>(type: "INTEGER", nullable: false),
                    SentScoreAt = table.Column<long>(type: "INTEGER", nullable: true),
                    SentAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    NextAttemptAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LtiScorePosts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LtiScorePosts_LtiLaunches_ResourceLinkRecordId_StudentId",
                        columns: x => new { x.ResourceLinkRecordId, x.StudentId },
                        principalTable: "LtiLaunches",
                        principalColumns: new[] { "ResourceLinkRecordId", "StudentId" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_LtiScorePosts_ResourceLinkRecordId_StudentId",
                table: "LtiScorePosts",
                columns: new[] { "ResourceLinkRecordId", "StudentId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LtiScorePosts_StudentId_Lesson",
                table: "LtiScorePosts",
                columns: new[] { "StudentId", "Lesson" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "LtiLineItems");

            migrationBuilder.DropTable(
                name: "LtiScorePosts");
        }
    }
}
