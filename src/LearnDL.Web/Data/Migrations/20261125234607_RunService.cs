using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LearnDL.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class RunService : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "OwnerId",
                table: "Runs",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<bool>(
                name: "Shared",
                table: "Runs",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "StagesJson",
                table: "Runs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "RunMembers",
                columns: table => new
                {
                    RunId = table.Column<Guid>(type: "TEXT", nullable: false),
                    OwnerId = table.Column<string>(type: "TEXT", nullable: false),
                    JoinedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RunMembers", x => new { x.RunId, x.OwnerId });
                    table.ForeignKey(
                        name: "FK_RunMembers_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Runs_OwnerId",
                table: "Runs",
                column: "OwnerId");

            migrationBuilder.CreateIndex(
                name: "IX_RunMembers_OwnerId",
                table: "RunMembers",
                column: "OwnerId");

            // Runs finished before this version: their stage times come out of the stored result.
            migrationBuilder.Sql("UPDATE Runs SET StagesJson = json_extract(ResultJson, '$.stages') WHERE ResultJson IS NOT NULL;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RunMembers");

            migrationBuilder.DropIndex(
                name: "IX_Runs_OwnerId",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "OwnerId",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "Shared",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "StagesJson",
                table: "Runs");
        }
    }
}
