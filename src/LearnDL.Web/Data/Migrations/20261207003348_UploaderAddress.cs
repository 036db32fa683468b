using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LearnDL.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class UploaderAddress : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "UploaderAddress",
                table: "UploadedDatasets",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "UploaderAddress",
                table: "UploadedDatasets");
        }
    }
}
