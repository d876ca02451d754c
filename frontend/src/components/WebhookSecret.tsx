// A webhook's secret, in the one answer that carries it (createWebhook, rotateWebhookSecret):
// marked "Nur jetzt sichtbar", with a copy button and how receivers verify what they get.
import { useEffect, useRef, useState } from "react";
import { useI18n } from "../I18n";
import { formatDateTime } from "../leadDetail";

type Copy = "idle" | "copied" | "failed";

export function WebhookSecret({
  secret,
  previousSecretExpiresAt,
  onHide,
}: {
  secret: string;
  /** After a renewal: until when the old secret still signs (both signatures are sent). */
  previousSecretExpiresAt?: string | null;
  onHide: () => void;
}) {
  const { t, language } = useI18n();
  const [copy, setCopy] = useState<Copy>("idle");
  const heading = useRef<HTMLHeadingElement>(null);
  const field = useRef<HTMLInputElement>(null);
  // It appears after a button press elsewhere: the focus comes here, so it is not missed.
  useEffect(() => heading.current?.focus(), [secret]);

  async function copySecret() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopy("copied");
    } catch {
      // No clipboard (an insecure origin, a refusal): the selected text is one Ctrl+C away.
      field.current?.select();
      setCopy("failed");
    }
  }

  return (
    <section className="card secret-box" aria-labelledby="webhook-secret-title" data-testid="webhook-secret">
      <h2 id="webhook-secret-title" ref={heading} tabIndex={-1}>
        {t("webhooks.secretTitle")}
      </h2>
      <label htmlFor="webhook-secret">{t("webhooks.secretLabel")}</label>
      <div className="secret-row">
        <input
          id="webhook-secret"
          ref={field}
          readOnly
          value={secret}
          spellCheck={false}
          onFocus={(event) => event.target.select()}
        />
        <button type="button" onClick={copySecret}>
          {t("webhooks.copy")}
        </button>
      </div>
      <p role="status" className={copy === "failed" ? "error" : "hint"}>
        {copy === "copied" && t("webhooks.copied")}
        {copy === "failed" && t("webhooks.copyFailed")}
      </p>
      <p>{t("webhooks.secretOnce")}</p>
      {previousSecretExpiresAt && (
        <p>
          {t("webhooks.secretRotated", {
            until: formatDateTime(language, previousSecretExpiresAt),
          })}
        </p>
      )}
      <p className="hint">{t("webhooks.secretVerify")}</p>
      <div className="actions">
        <button type="button" onClick={onHide}>
          {t("webhooks.secretHide")}
        </button>
      </div>
    </section>
  );
}
