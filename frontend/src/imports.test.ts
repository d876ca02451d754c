import { describe, expect, it } from "vitest";
import { type Language, type MessageKey, type Params, translate } from "./i18n";
import {
  type DryRunColumn,
  columnChoice,
  describeRowIssue,
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

const t = (language: Language) => (key: MessageKey, params?: Params) =>
  translate(language, key, params);

describe("describeRowIssue", () => {
  // As the dry run reports them (backend/leadflow/files.py `_report_json`).
  const badEmail = {
    code: "INVALID",
    field: "email",
    message: "'ben@example' is not a valid email address.",
  };
  const noContact = {
    code: "REQUIRED",
    field: "email",
    message: "A lead needs an email address or a phone number to be contacted.",
  };
  const noLastName = { code: "REQUIRED", field: "lastName", message: "Last name must not be empty." };
  const tooMany = {
    code: "TOO_MANY_FIELDS",
    field: "",
    message: "The row has 5 fields but the header 4: is a ';' inside a value without quotes?",
  };
  const openLead = {
    code: "DUPLICATE",
    field: "",
    message: "This contact already has an open lead (#7) in this campaign.",
  };
  const repeated = { code: "DUPLICATE_IN_FILE", field: "", message: "Same contact as row 2." };

  it("says what is wrong with the field, by code and field, in German", () => {
    const de = t("de");
    expect(describeRowIssue(de, badEmail)).toBe("Das ist keine gültige E-Mail-Adresse.");
    expect(describeRowIssue(de, noContact)).toBe(
      "Weder E-Mail noch Telefon: Ein Lead muss erreichbar sein.",
    );
    expect(describeRowIssue(de, noLastName)).toBe("Der Nachname fehlt.");
    expect(describeRowIssue(de, tooMany)).toBe(
      "Die Zeile hat mehr Felder als die Kopfzeile. Steht ein Trennzeichen ohne Anführungszeichen in einem Wert?",
    );
    expect(describeRowIssue(de, openLead)).toBe(
      "Dieser Kontakt hat in der Kampagne schon einen offenen Lead.",
    );
    expect(describeRowIssue(de, repeated)).toBe(
      "Derselbe Kontakt steht schon weiter oben in der Datei.",
    );
  });

  it("and in English", () => {
    const en = t("en");
    expect(describeRowIssue(en, badEmail)).toBe("This is not a valid email address.");
    expect(describeRowIssue(en, noContact)).toBe(
      "Neither email nor phone: a lead needs one to be contacted.",
    );
    expect(describeRowIssue(en, noLastName)).toBe("The last name is missing.");
    expect(describeRowIssue(en, tooMany)).toBe(
      "The row has more fields than the header. Is a separator inside a value without quotes?",
    );
    expect(describeRowIssue(en, openLead)).toBe(
      "This contact already has an open lead in the campaign.",
    );
    expect(describeRowIssue(en, repeated)).toBe(
      "The same contact is in an earlier row of the file.",
    );
  });

  it("falls back to the code's text for other fields", () => {
    const postalCode = { code: "TOO_LONG", field: "postalCode", message: "Postal code is too long." };
    expect(describeRowIssue(t("de"), postalCode)).toBe("Dieser Wert ist zu lang.");
    expect(describeRowIssue(t("en"), { ...badEmail, field: "phone" })).toBe(
      "This value is not valid.",
    );
    expect(describeRowIssue(t("de"), { ...noLastName, field: "firstName" })).toBe(
      "Darf nicht leer sein.",
    );
  });

  it("shows the server's words for a code it has no text for", () => {
    const odd = { code: "SOMETHING_NEW", field: "email", message: "Something new." };
    expect(describeRowIssue(t("de"), odd)).toBe("Something new.");
    // A server that sends no code yet.
    expect(describeRowIssue(t("de"), { code: "", field: "", message: "Old words." })).toBe(
      "Old words.",
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
