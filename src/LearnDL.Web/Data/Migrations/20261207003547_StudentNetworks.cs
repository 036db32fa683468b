using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LearnDL.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class StudentNetworks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "JoinedFrom",
                table: "Students",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "JoinCode",
                table: "ClassState",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "RequireJoinCode",
                table: "ClassState",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "JoinedFrom",
                table: "Students");

            migrationBuilder.DropColumn(
                name: "JoinCode",
                table: "ClassState");

            migrationBuilder.DropColumn(
                name: "RequireJoinCode",
                table: "ClassState");
        }
    }
}
