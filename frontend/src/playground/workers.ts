// Monaco (GraphiQL's editor) runs its language services in web workers. Vite builds each one
// into its own file under assets/, so they load from our origin like every other script: the
// strict Content-Security-Policy needs no `blob:` or CDN for them.
import EditorWorker from "monaco-editor/esm/vs/editor/editor.worker.js?worker";
import JsonWorker from "monaco-editor/esm/vs/language/json/json.worker.js?worker";
import type { Environment } from "monaco-editor";
import GraphQLWorker from "monaco-graphql/esm/graphql.worker.js?worker";

const environment: Environment = {
  getWorker(_workerId: string, label: string): Worker {
    if (label === "json") return new JsonWorker();
    if (label === "graphql") return new GraphQLWorker();
    return new EditorWorker();
  },
};
window.MonacoEnvironment = environment;
