import { CombinedError } from "urql";
import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { NETWORK, errorText, requestError } from "./errorText";
import { type Language, type MessageKey, MESSAGES, type Params, translate } from "./i18n";

const t = (language: Language) => (key: MessageKey, params?: Params) =>
  translate(language, key, params);

/** A top-level GraphQL error as urql hands it over. */
function graphQLError(message: string, extensions: Record<string, unknown>): CombinedError {
  return new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions })] });
}

// Every code the server can send: backend/leadflow/errors.py ErrorCode (userErrors) and the
// extensions.code of api/errors.py; each has its own text in both languages.
const USER_ERROR_CODES = [
  "NOT_FOUND",
  "INVALID",
  "REQUIRED",
  "INVALID_STATE",
  "CONFLICT",
  "TOO_LONG",
  "TOO_MANY",
  "DUPLICATE",
  "SUPPRESSED",
];
const REQUEST_CODES = ["FORBIDDEN", "UNAUTHENTICATED", "BAD_USER_INPUT", "NOT_FOUND"];

describe("requestError", () => {
  it("takes the code of the first top-level error", () => {
    const error = graphQLError("This lead is assigned to someone else.", { code: "FORBIDDEN" });
    expect(requestError(error)).toEqual({
      code: "FORBIDDEN",
      message: "This lead is assigned to someone else.",
    });
  });

  it("keeps the request id of an unexpected error", () => {
    const error = graphQLError("Unexpected error (request id abc123).", {
      code: "INTERNAL_SERVER_ERROR",
      requestId: "abc123",
    });
    expect(requestError(error)).toMatchObject({
      code: "INTERNAL_SERVER_ERROR",
      requestId: "abc123",
    });
  });

  it("calls a request that reached no server NETWORK", () => {
    const error = new CombinedError({ networkError: new TypeError("Failed to fetch") });
    expect(requestError(error).code).toBe(NETWORK);
  });

  it("has no code for an error without one", () => {
    expect(requestError(graphQLError("Syntax Error: Unexpected Name", {})).code).toBe("");
  });
});

describe("errorText", () => {
  for (const language of ["de", "en"] as const) {
    it(`has a text of its own for every user error code (${language})`, () => {
      for (const code of USER_ERROR_CODES) {
        const text = errorText(t(language), { code, message: "English words", field: null });
        expect(text).toBe(MESSAGES[language][`error.${code}` as MessageKey]);
        expect(text).not.toContain("English words");
      }
    });

    it(`has a text of its own for every top-level code (${language})`, () => {
      for (const code of REQUEST_CODES) {
        const text = errorText(t(language), graphQLError("English words", { code }));
        expect(text).toBe(MESSAGES[language][`error.${code}` as MessageKey]);
      }
    });
  }

  it("tells a clerk whose lead went to someone else in German, without the server's English", () => {
    const refused = graphQLError("This lead is assigned to someone else.", { code: "FORBIDDEN" });
    const text = errorText(t("de"), refused);
    expect(text).toContain("jemand anderem zugewiesen");
    expect(text).not.toContain("assigned");
    const conflict = { code: "CONFLICT", message: "The lead was changed meanwhile." };
    expect(errorText(t("de"), conflict)).toContain("Jemand anderes hat diesen Lead gerade geändert");
  });

  it("prefers the text for the field and code", () => {
    const error = { code: "REQUIRED", message: "A reason is required.", field: ["reason"] };
    expect(errorText(t("de"), error)).toBe(
      "Bitte einen Grund auswählen: Warum war der Lead erfolglos?",
    );
  });

  it("says that the server is out of reach", () => {
    const error = new CombinedError({ networkError: new TypeError("Failed to fetch") });
    expect(errorText(t("de"), error)).toBe(MESSAGES.de["error.NETWORK"]);
    expect(errorText(t("en"), error)).toBe(MESSAGES.en["error.NETWORK"]);
  });

  it("quotes the request id of an unexpected error, for support", () => {
    const error = graphQLError("Unexpected error (request id abc123).", {
      code: "INTERNAL_SERVER_ERROR",
      requestId: "abc123",
    });
    expect(errorText(t("de"), error)).toContain("Anfrage-Nr. abc123");
    expect(errorText(t("en"), error)).toContain("request no. abc123");
  });

  it("names an unknown code instead of showing the server's English", () => {
    const error = graphQLError("Query is too deep.", { code: "QUERY_TOO_DEEP" });
    expect(errorText(t("de"), error)).toBe(
      "Das hat nicht geklappt (Fehler QUERY_TOO_DEEP). Bitte versuchen Sie es erneut.",
    );
    expect(errorText(t("en"), { code: "", message: "Boom" })).toBe(MESSAGES.en["error.unexpected"]);
  });
});
