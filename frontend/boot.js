// Loads the wasm app. A separate file (not an inline script) so the CSP needs no exceptions.
import init from "/confrontas-web.js?v=__VERSION__";
init({ module_or_path: "/confrontas-web_bg.wasm?v=__VERSION__" });
