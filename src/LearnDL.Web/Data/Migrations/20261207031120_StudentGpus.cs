using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LearnDL.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class StudentGpus : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "StudentGpus",
                columns: table => new
                {
                    StudentId = table.Column<string>(type: "TEXT", nullable: false),
                    Card = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Device = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    ForwardImagesPerSecond = table.Column<double>(type: "REAL", nullable: false),
                    TrainImagesPerSecond = table.Column<double>(type: "REAL", nullable: false),
                    AmpTrainImagesPerSecond = table.Column<double>(type: "REAL", nullable: true),
                    Measured = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    Json = table.Column<string>(type: "TEXT", nullable: false),
                    SavedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StudentGpus", x => x.StudentId);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "StudentGpus");
        }
    }
}
