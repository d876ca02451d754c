// The login page: email and password against POST /auth/login, which sets the session cookie.
import { type FormEvent, useState } from "react";
import { logIn } from "../client";
import { LanguageSwitch } from "../components/LanguageSwitch";
import { useI18n } from "../I18n";
import { usePageTitle } from "../pageTitle";

export function LoginPage({ onLogin }: { onLogin: () => void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  usePageTitle(t("login.title"));

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!email.trim() || !password) {
      setProblem(t("login.required"));
      return;
    }
    setBusy(true);
    setProblem(null);
    const result = await logIn(email.trim(), password);
    setBusy(false);
    if (result.ok) {
      onLogin();
    } else if (result.reason === "invalid") {
      setProblem(t("login.invalid"));
    } else if (result.reason === "throttled") {
      setProblem(t("login.throttled", { seconds: result.retryAfter }));
    } else {
      setProblem(t("login.failed"));
    }
  }

  return (
    <main className="login">
      <div className="login-top">
        <strong className="brand">{t("app.name")}</strong>
        <LanguageSwitch />
      </div>
      <h1>{t("login.title")}</h1>
      <form onSubmit={submit} noValidate aria-describedby={problem ? "login-problem" : undefined}>
        <label htmlFor="login-email">{t("login.email")}</label>
        <input
          id="login-email"
          type="email"
          autoComplete="username"
          required
          value={email}
          aria-invalid={problem ? true : undefined}
          onChange={(event) => setEmail(event.target.value)}
        />
        <label htmlFor="login-password">{t("login.password")}</label>
        <input
          id="login-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          aria-invalid={problem ? true : undefined}
          onChange={(event) => setPassword(event.target.value)}
        />
        {problem && (
          <p id="login-problem" className="error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t("login.busy") : t("login.submit")}
        </button>
      </form>
    </main>
  );
}
