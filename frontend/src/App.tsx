// Who is logged in decides the screens: the login page, or the screen of the URL that the role
// may open (viewer.ts), else the role's home.
import { Suspense, lazy, useCallback, useEffect, useState } from "react";
import { Provider, useQuery } from "urql";
import { createClient, errorCode, logOut } from "./client";
import { Header } from "./components/Header";
import { errorText } from "./errorText";
import { useI18n } from "./I18n";
import { navigate, useLocation } from "./router";
import { homePath, parseLeadPath, parseOpportunityPath, parseWebhookPath } from "./routes";
import { LeadDetail } from "./screens/LeadDetail";
import { ClerkSettings, MyAbsences } from "./screens/ClerkSettings";
import { LeadsOverview } from "./screens/LeadsOverview";
import { LoginPage } from "./screens/LoginPage";
import { MyTasks } from "./screens/MyTasks";
import { Opportunities } from "./screens/Opportunities";
import { OpportunityDetail } from "./screens/OpportunityDetail";
import { type Viewer, ViewerDocument, opensNothing, screenFor } from "./viewer";

// The campaign chart (Chart.js) is loaded only when the screen is opened.
const Campaigns = lazy(() =>
  import("./screens/Campaigns").then((module) => ({ default: module.Campaigns })),
);
// So is the dashboard, with its charts.
const Dashboard = lazy(() =>
  import("./screens/Dashboard").then((module) => ({ default: module.Dashboard })),
);
// And the webhooks, which few people open.
const Webhooks = lazy(() =>
  import("./screens/Webhooks").then((module) => ({ default: module.Webhooks })),
);
const WebhookDetail = lazy(() =>
  import("./screens/WebhookDetail").then((module) => ({ default: module.WebhookDetail })),
);

export function App() {
  // A new client per session, so that nothing cached for one user is shown to the next.
  const [client, setClient] = useState(createClient);
  const startSession = useCallback(() => setClient(createClient()), []);
  const endSession = useCallback(async () => {
    await logOut();
    setClient(createClient());
    navigate("/login");
  }, []);
  return (
    <Provider value={client}>
      <Session onLogin={startSession} onLogout={endSession} />
    </Provider>
  );
}

function Session({ onLogin, onLogout }: { onLogin: () => void; onLogout: () => void }) {
  const { t } = useI18n();
  const { path } = useLocation();
  const [{ data, error, fetching }] = useQuery({ query: ViewerDocument });
  const viewer = data?.viewer;
  const loggedOut = errorCode(error) === "UNAUTHENTICATED";

  useEffect(() => {
    if (loggedOut && path !== "/login") navigate("/login", { replace: true });
    if (viewer && (path === "/" || path === "/login")) {
      navigate(homePath(viewer.role), { replace: true });
    }
  }, [loggedOut, viewer, path]);

  if (loggedOut) return <LoginPage onLogin={onLogin} />;
  if (fetching || !viewer) {
    return (
      <main className="page" aria-busy={fetching}>
        <p role={error ? "alert" : "status"}>
          {error ? errorText(t, error) : t("app.loading")}
        </p>
      </main>
    );
  }
  return (
    <>
      <Header viewer={viewer} onLogout={onLogout} />
      <main className="page" id="main" tabIndex={-1}>
        <CurrentScreen viewer={viewer} path={path} />
      </main>
    </>
  );
}

function CurrentScreen({ viewer, path }: { viewer: Viewer; path: string }) {
  const { t } = useI18n();
  const loading = <p role="status">{t("app.loading")}</p>;
  switch (screenFor(viewer, path)) {
    case "leads":
      return <LeadsOverview />;
    case "campaigns":
      return (
        <Suspense fallback={loading}>
          <Campaigns viewer={viewer} />
        </Suspense>
      );
    case "tasks":
      return <MyTasks viewer={viewer} />;
    case "dashboard":
      return (
        <Suspense fallback={loading}>
          <Dashboard viewer={viewer} />
        </Suspense>
      );
    case "opportunities":
      return <Opportunities viewer={viewer} />;
    case "clerks":
      return <ClerkSettings viewer={viewer} />;
    case "absences":
      return <MyAbsences viewer={viewer} />;
    case "webhooks":
      return (
        <Suspense fallback={loading}>
          <Webhooks />
        </Suspense>
      );
    case "webhook": {
      const webhookId = parseWebhookPath(path) ?? "";
      return (
        <Suspense fallback={loading}>
          <WebhookDetail key={webhookId} webhookId={webhookId} />
        </Suspense>
      );
    }
    case "opportunity": {
      const opportunityId = parseOpportunityPath(path) ?? "";
      return <OpportunityDetail key={opportunityId} viewer={viewer} opportunityId={opportunityId} />;
    }
    case "lead": {
      const leadId = parseLeadPath(path) ?? "";
      // Keyed by the lead: another lead's page starts with fresh forms.
      return <LeadDetail key={leadId} viewer={viewer} leadId={leadId} />;
    }
    case null:
      if (opensNothing(viewer)) return <p>{t("app.notAvailable")}</p>;
      // Anything else, including screens this role is not offered, leads home.
      return <Redirect to={homePath(viewer.role)} />;
  }
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
