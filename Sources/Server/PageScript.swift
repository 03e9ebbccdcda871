// The page's one script, served from /page.js: the page's Content-Security-Policy allows scripts
// from this server only, never inline, so no text that reaches the page can run as script. With it,
// the results update as the text changes; without it, the form still posts and the page reloads.
enum PageScript {
    static let text = #"""
(() => {
  const form = document.getElementById("classify");
  const box = document.getElementById("lines");
  let timer;
  let controller;
  async function update() {
    if (controller) controller.abort();
    controller = new AbortController();
    const response = await fetch("/", { method: "POST", body: new URLSearchParams(new FormData(form)), signal: controller.signal });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("results");
    if (fresh) document.getElementById("results").replaceWith(document.importNode(fresh, true));
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    update().catch((error) => { if (error.name !== "AbortError") form.submit(); });
  });
  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => update().catch(() => {}), 400);
  });
})();
"""#
}
