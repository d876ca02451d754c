// Every error the server can answer, in the user's language: the codes of userErrors
// (backend/leadflow/errors.py ErrorCode), the extensions.code of top-level GraphQL errors
// (backend/leadflow/api/errors.py, api/limits.py, web/) and a server that cannot be reached.
// The server's own message is English and meant for developers: it is never shown.
import type { CombinedError } from "urql";
import { type Translate, codeMessageKey } from "./i18n";

/** An error with a stable code: a userError of a payload, or a failed request (requestError). */
export interface CodedError {
  code: string;
  message: string;
  field?: readonly string[] | null;
  /** Of an unexpected server error: quoted to support, who find it in the server's log. */
  requestId?: string;
}

/** The code of a request that reached no server (urql's networkError without an answer). */
export const NETWORK = "NETWORK";

/** A failed request as a coded error: the first top-level error's extensions.code, NETWORK
 * when no server answered, "" when the answer carried no code. */
export function requestError(error: CombinedError): CodedError {
  const first = error.graphQLErrors[0];
  if (!first) return { code: error.networkError ? NETWORK : "", message: error.message };
  const { code, requestId } = first.extensions ?? {};
  return {
    code: typeof code === "string" ? code : "",
    message: first.message,
    ...(typeof requestId === "string" ? { requestId } : {}),
  };
}

function isCombinedError(error: CodedError | CombinedError): error is CombinedError {
  return "graphQLErrors" in error;
}

/** The error in plain words: the text for this field and code ("error.reason.REQUIRED"), else
 * for the code ("error.FORBIDDEN"), else a general one that names the code. */
export function errorText(t: Translate, error: CodedError | CombinedError): string {
  const coded = isCombinedError(error) ? requestError(error) : error;
  if (coded.code === "INTERNAL_SERVER_ERROR") {
    return t("error.INTERNAL_SERVER_ERROR", { requestId: coded.requestId ?? "–" });
  }
  const key = coded.code ? codeMessageKey("error", coded.code, (coded.field ?? []).join(".")) : null;
  if (key) return t(key);
  return coded.code ? t("error.unknown", { code: coded.code }) : t("error.unexpected");
}
