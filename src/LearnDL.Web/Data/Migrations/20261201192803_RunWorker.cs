using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LearnDL.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class RunWorker : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Worker",
                table: "Runs",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Worker",
                table: "Runs");
        }
    }
}
