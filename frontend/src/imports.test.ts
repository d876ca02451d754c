import { describe, expect, it } from "vitest";
import {
  type DryRunColumn,
  columnChoice,
  exportUrl,
  fieldChosenTwice,
  mappingJson,
  progressOf,
  uploadError,
  uploadErrorKey,
  uploadUrl,
} from "./imports";

const COLUMNS: DryRunColumn[] = [
  { header: "Vorname", field: "firstName" },
  { header: "Nachname", field: "lastName" },
  { header: "Mobil", field: null },
  { header: "PLZ", field: "postalCode" },
];

describe("column mapping", () => {
  it("shows what the dry run mapped until a choice is made by hand", () => {
    expect(columnChoice(COLUMNS[0], {})).toBe("firstName");
    expect(columnChoice(COLUMNS[2], {})).toBe("");
    expect(columnChoice(COLUMNS[2], { Mobil: "phone" })).toBe("phone");
    expect(columnChoice(COLUMNS[0], { Vorname: "" })).toBe("");
  });

  it("sends only the choices made by hand, in the API's field names", () => {
    expect(mappingJson({})).toBeNull();
    expect(JSON.parse(mappingJson({ Mobil: "phone", PLZ: "", Vorname: "firstName" })!)).toEqual({
      Mobil: "phone",
      PLZ: "",
      Vorname: "firstName",
    });
    expect(JSON.parse(mappingJson({ Zip: "postalCode" })!)).toEqual({ Zip: "postalCode" });
  });

  it("finds a field two columns would fill", () => {
    expect(fieldChosenTwice(COLUMNS, {})).toBeNull();
    expect(fieldChosenTwice(COLUMNS, { Mobil: "firstName" })).toBe("firstName");
    expect(fieldChosenTwice(COLUMNS, { Mobil: "firstName", Vorname: "" })).toBeNull();
  });
});

describe("upload URL", () => {
  it("asks for a dry run with the file name and the mapping", () => {
    const url = uploadUrl("Q2FtcGFpZ246MQ==", "Messe Köln.csv", {
      dryRun: true,
      overrides: { Mobil: "phone" },
    });
    const params = new URL(url, "http://x").searchParams;
    expect(url.startsWith("/files/imports?")).toBe(true);
    expect(params.get("campaign")).toBe("Q2FtcGFpZ246MQ==");
    expect(params.get("dryRun")).toBe("1");
    expect(params.get("fileName")).toBe("Messe Köln.csv");
    expect(JSON.parse(params.get("mapping")!)).toEqual({ Mobil: "phone" });
  });

  it("imports without dryRun and without an empty mapping", () => {
    const params = new URL(
      uploadUrl("C", "a.csv", { dryRun: false, overrides: {} }),
      "http://x",
    ).searchParams;
    expect(params.has("dryRun")).toBe(false);
    expect(params.has("mapping")).toBe(false);
  });
});

describe("upload errors", () => {
  it("reads the endpoint's error body", () => {
    const error = uploadError(400, {
      error: { code: "REQUIRED", message: "The file is empty.", field: ["file"] },
    });
    expect(error).toEqual({
      status: 400,
      code: "REQUIRED",
      message: "The file is empty.",
      field: ["file"],
    });
    expect(uploadErrorKey(error)).toBe("import.error.REQUIRED.file");
  });

  it("falls back to the code, then to a general text", () => {
    expect(uploadErrorKey(uploadError(409, { error: { code: "CONFLICT", field: ["file"] } }))).toBe(
      "import.error.CONFLICT",
    );
    expect(uploadErrorKey(uploadError(413, "<html>"))).toBe("import.error.TOO_LARGE");
    expect(uploadErrorKey(uploadError(500, null))).toBe("import.error.FAILED");
    expect(uploadErrorKey(uploadError(418, { error: { code: "TEAPOT" } }))).toBe(
      "import.error.FAILED",
    );
  });
});

describe("progressOf", () => {
  it("is indeterminate before the rows are estimated", () => {
    expect(progressOf(0, null)).toBeNull();
  });

  it("never runs past its end", () => {
    expect(progressOf(3, 6)).toEqual({ value: 3, max: 6 });
    expect(progressOf(7, 6)).toEqual({ value: 7, max: 7 });
    expect(progressOf(0, 0)).toEqual({ value: 0, max: 1 });
  });
});

describe("exportUrl", () => {
  it("asks for the user's language and the chosen status", () => {
    expect(exportUrl("Q2FtcGFpZ246MQ==", "de", "")).toBe(
      "/files/exports/leads.csv?campaign=Q2FtcGFpZ246MQ%3D%3D&lang=de",
    );
    expect(exportUrl("C", "en", "DONE")).toBe(
      "/files/exports/leads.csv?campaign=C&lang=en&status=DONE",
    );
  });
});
