using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LearnDL.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class ClassState : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ClassState",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    CpuPaused = table.Column<bool>(type: "INTEGER", nullable: false),
                    GpuPaused = table.Column<bool>(type: "INTEGER", nullable: false),
                    MaxImagesPerRun = table.Column<int>(type: "INTEGER", nullable: true),
                    MaxEpochs = table.Column<int>(type: "INTEGER", nullable: true),
                    MaxQueuedRuns = table.Column<int>(type: "INTEGER", nullable: true),
                    MaxQueuedRunsPerOwner = table.Column<int>(type: "INTEGER", nullable: true),
                    CpuWorkers = table.Column<int>(type: "INTEGER", nullable: true),
                    GpuWorkers = table.Column<int>(type: "INTEGER", nullable: true),
                    ShowClassComparison = table.Column<bool>(type: "INTEGER", nullable: true),
                    LimitsChangedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ClassState", x => x.Id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ClassState");
        }
    }
}
