using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LearnDL.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class Lti : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "LtiContexts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Issuer = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    ClientId = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    DeploymentId = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    ContextId = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Title = table.Column<string>(type: "TEXT", nullable: true),
                    Label = table.Column<string>(type: "TEXT", nullable: true),
                    ClassId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    MembershipsUrl = table.Column<string>(type: "TEXT", nullable: true),
                    LineItemsUrl = table.Column<string>(type: "TEXT", nullable: true),
                    AgsScopes = table.Column<string>(type: "TEXT", nullable: true),
                    FirstLaunchAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastLaunchAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LtiContexts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "LtiUsers",
                columns: table => new
                {
                    Issuer = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Subject = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    StudentId = table.Column<string>(type: "TEXT", nullable: false),
                    LmsName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Email = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    FirstLaunchAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastLaunchAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LtiUsers", x => new { x.Issuer, x.Subject });
                    table.ForeignKey(
                        name: "FK_LtiUsers_Students_StudentId",
                        column: x => x.StudentId,
                        principalTable: "Students",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LtiResourceLinks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Issuer = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    DeploymentId = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    ResourceLinkId = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    ContextRecordId = table.Column<long>(type: "INTEGER", nullable: true),
                    Title = table.Column<string>(type: "TEXT", nullable: true),
                    Lesson = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    Preset = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    LineItemUrl = table.Column<string>(type: "TEXT", nullable: true),
                    AgsScopes = table.Column<string>(type: "TEXT", nullable: true),
                    FirstLaunchAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastLaunchAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LtiResourceLinks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LtiResourceLinks_LtiContexts_ContextRecordId",
                        column: x => x.ContextRecordId,
                        principalTable: "LtiContexts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "LtiLaunches",
                columns: table => new
                {
                    ResourceLinkRecordId = table.Column<long>(type: "INTEGER", nullable: false),
                    StudentId = table.Column<string>(type: "TEXT", nullable: false),
                    Issuer = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Subject = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    FirstLaunchAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastLaunchAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LtiLaunches", x => new { x.ResourceLinkRecordId, x.StudentId });
                    table.ForeignKey(
                        name: "FK_LtiLaunches_LtiResourceLinks_ResourceLinkRecordId",
                        column: x => x.ResourceLinkRecordId,
                        principalTable: "LtiResourceLinks",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_LtiLaunches_Students_StudentId",
                        column: x => x.StudentId,
                        principalTable: "Students",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_LtiContexts_Issuer_DeploymentId_ContextId",
                table: "LtiContexts",
                columns: new[] { "Issuer", "DeploymentId", "ContextId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LtiLaunches_StudentId",
                table: "LtiLaunches",
                column: "StudentId");

            migrationBuilder.CreateIndex(
                name: "IX_LtiResourceLinks_ContextRecordId",
                table: "LtiResourceLinks",
                column: "ContextRecordId");

            migrationBuilder.CreateIndex(
                name: "IX_LtiResourceLinks_Issuer_DeploymentId_ResourceLinkId",
                table: "LtiResourceLinks",
                columns: new[] { "Issuer", "DeploymentId", "ResourceLinkId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LtiResourceLinks_Lesson",
                table: "LtiResourceLinks",
                column: "Lesson");

            migrationBuilder.CreateIndex(
                name: "IX_LtiUsers_StudentId",
                table: "LtiUsers",
                column: "StudentId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "LtiLaunches");

            migrationBuilder.DropTable(
                name: "LtiUsers");

            migrationBuilder.DropTable(
                name: "LtiResourceLinks");

            migrationBuilder.DropTable(
                name: "LtiContexts");
        }
    }
}
