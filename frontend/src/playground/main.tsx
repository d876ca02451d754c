// The GraphQL playground served at /graphql (backend/leadflow/api/playground.py): GraphiQL
// with the explorer plugin, bundled from npm so it needs no CDN and runs under a strict CSP.
import "./workers";
import { explorerPlugin } from "@graphiql/plugin-explorer";
import "@graphiql/plugin-explorer/style.css";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "./playground.css";
import { WELCOME_QUERY, playgroundFetcher, searchWith, sharedOperation } from "./setup";

const fetcher = playgroundFetcher();
const plugins = [explorerPlugin()];
const shared = sharedOperation(window.location.search);

function keepInUrl(key: "q" | "variables", value: string): void {
  history.replaceState(null, "", searchWith(window.location.search, key, value));
}

createRoot(document.getElementById("playground")!).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      plugins={plugins}
      defaultQuery={WELCOME_QUERY}
      initialQuery={shared.query}
      initialVariables={shared.variables}
      defaultEditorToolsVisibility="headers"
      isHeadersEditorEnabled
      // The token stays in this page's memory, never in localStorage.
      shouldPersistHeaders={false}
      showPersistHeadersSettings={false}
      onEditQuery={(query) => keepInUrl("q", query)}
      onEditVariables={(variables) => keepInUrl("variables", variables)}
    />
  </StrictMode>,
);
