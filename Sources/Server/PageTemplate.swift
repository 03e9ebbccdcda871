// The one web page, as a Mustache template. Every value goes in through `{{name}}`, which escapes
// HTML; the template never uses the unescaped forms, so no input can become markup. The page
// needs nothing from the network; the form posts without JavaScript, and its one script (from
// /page.js, PageScript; the page's policy allows no inline script) only re-posts it as the text
// changes and swaps in the server's (already escaped) results.
enum PageTemplate {
    static let text = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log line classifier · GPT From Scratch</title>
<style>
  :root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --info: #0969da; --warning: #bf8700; --error: #cf222e; }
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0; background: #f6f8fa; }
  header, main, footer { max-width: 60rem; margin: 0 auto; padding: 0 1.25rem; }
  header { padding-top: 1.5rem; }
  h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
  .model { color: var(--muted); margin: 0 0 1rem; }
  form { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem; }
  label[for=lines] { font-weight: 600; display: block; margin-bottom: .4rem; }
  textarea { width: 100%; box-sizing: border-box; font: 14px/1.45 ui-monospace, "SF Mono", Menlo, Consolas, monospace; padding: .5rem; border: 1px solid var(--line); border-radius: 6px; }
  .actions { display: flex; gap: 1rem; align-items: center; margin-top: .6rem; flex-wrap: wrap; }
  button { font: inherit; font-weight: 600; padding: .4rem 1.1rem; border-radius: 6px; border: 1px solid #1f883d; background: #1f883d; color: #fff; cursor: pointer; }
  .note { color: var(--muted); font-size: .9rem; }
  .error { color: var(--error); background: #ffebe9; border: 1px solid #ffcecb; border-radius: 6px; padding: .5rem .75rem; }
  .warning { color: #7d4e00; background: #fff8c5; border: 1px solid #eed888; border-radius: 6px; padding: .4rem .75rem; font-size: .9rem; }
  .result { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .9rem 1rem; margin: 1rem 0; }
  .message { margin: 0 0 .6rem; display: flex; gap: .75rem; align-items: baseline; }
  .message code { font: 14px ui-monospace, "SF Mono", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
  .badge { font-weight: 700; font-size: .8rem; letter-spacing: .04em; color: #fff; border-radius: 999px; padding: .1rem .6rem; white-space: nowrap; }
  .badge.INFO, .INFO .fill { background: var(--info); }
  .badge.WARNING, .WARNING .fill { background: var(--warning); }
  .badge.ERROR, .ERROR .fill { background: var(--error); }
  table.bars { border-collapse: collapse; width: 100%; max-width: 30rem; }
  .bars th { text-align: left; font-weight: 500; width: 6rem; padding: .1rem 0; font-size: .9rem; }
  .bars .top th { font-weight: 700; }
  .bars td.num { text-align: right; width: 4.5rem; font-variant-numeric: tabular-nums; font-size: .9rem; }
  .track { background: #eaeef2; border-radius: 4px; height: .8rem; }
  .fill { display: block; height: 100%; border-radius: 4px; min-width: 1px; }
  h3 { font-size: .95rem; margin: .9rem 0 .3rem; }
  .heat { display: flex; flex-wrap: wrap; gap: 1px; font: 14px ui-monospace, "SF Mono", Menlo, Consolas, monospace; }
  .cell { display: inline-block; min-width: 1.1em; text-align: center; padding: .15rem .05rem; border-radius: 2px; border: 1px solid #eef0f3; }
  .cell.dark { color: #fff; }
  .cell.special { font-size: .7rem; align-self: stretch; display: flex; align-items: center; padding: 0 .2rem; }
  .legend { display: flex; align-items: center; gap: .5rem; font-size: .8rem; color: var(--muted); margin-top: .3rem; }
  .ramp { width: 8rem; height: .6rem; border-radius: 3px; background: linear-gradient(to right, rgba(130, 80, 223, 0), rgba(130, 80, 223, 1)); border: 1px solid var(--line); }
  details { margin-top: .6rem; font-size: .9rem; }
  details svg { display: block; margin-top: .4rem; background: #fff; border: 1px solid var(--line); }
  table.brief { border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 8px; width: 100%; margin-bottom: 1rem; }
  .brief td { padding: .2rem .5rem; border-top: 1px solid #eef0f3; vertical-align: baseline; }
  .brief td.num { text-align: right; width: 3rem; color: var(--muted); font-variant-numeric: tabular-nums; font-size: .9rem; }
  .brief code { font: 13px ui-monospace, "SF Mono", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
  .brief .error { display: block; padding: .1rem .4rem; margin-top: .2rem; font-size: .85rem; }
  footer { color: var(--muted); font-size: .9rem; padding-bottom: 2rem; }
</style>
</head>
<body>
<header>
  <h1>Log line classifier</h1>
  <p class="model">A character-level GPT trained from scratch: {{model.layers}} layer(s), {{model.heads}} attention heads, vectors of width {{model.width}}, {{model.vocabSize}} tokens, {{model.parameters}} parameters. It reads up to {{model.blockSize}} characters.</p>
</header>
<main>
  <form method="post" action="/" id="classify">
    <label for="lines">Log lines, one per line</label>
    <textarea id="lines" name="lines" rows="6" spellcheck="false" placeholder="disk usage at 86% on /var/log&#10;user admin logged in from 10.0.0.7">{{input}}</textarea>
    <div class="actions">
      <button type="submit">Classify</button>
      <span class="note">Up to {{model.maxLines}} lines. Results update as you type when JavaScript is on.</span>
    </div>
  </form>
  <section id="results" aria-live="polite">
    {{#error}}<p class="error">{{error}}</p>{{/error}}
    {{#results}}
    <article class="result">
      <p class="message">{{#classified}}<span class="badge {{label}}">{{label}}</span>{{/classified}}<code>{{message}}</code></p>
      {{#problem}}<p class="error">{{problem}}</p>{{/problem}}
      {{#warnings}}<p class="warning">{{.}}</p>{{/warnings}}
      {{#classified}}
      <table class="bars" aria-label="Label probabilities">
        {{#bars}}
        <tr class="{{name}}{{#isTop}} top{{/isTop}}"><th scope="row">{{name}}</th><td><div class="track"><span class="fill" style="width: {{width}}%"></span></div></td><td class="num">{{value}}</td></tr>
        {{/bars}}
      </table>
      <h3>Where the model looked before naming the label</h3>
      <div class="heat" role="img" aria-label="Attention of the last layer over the characters of the line">
        {{#cells}}<span class="cell{{#dark}} dark{{/dark}}{{#special}} special{{/special}}" style="background-color: rgba(130, 80, 223, {{alpha}})" title="{{title}}">{{shown}}</span>{{/cells}}
      </div>
      <div class="legend"><span>0</span><span class="ramp"></span><span>{{strongest}} (strongest weight in this line)</span></div>
      {{#matrix}}
      <details>
        <summary>Every position's attention (last layer, mean of the heads)</summary>
        <svg width="{{size}}" height="{{size}}" viewBox="0 0 {{size}} {{size}}" role="img" aria-label="Attention matrix: row t is what position t looked at">
          <g fill="rgb(130, 80, 223)">{{#shades}}<path fill-opacity="{{alpha}}" d="{{path}}"></path>{{/shades}}</g>
        </svg>
        <p class="note">Row t is what the model looked at while reading character t (top: the start token; bottom: the space after "->", where it names the label). Each row is shaded against its own strongest weight; positions only look back, so the upper right is empty.</p>
      </details>
      {{/matrix}}
      {{/classified}}
    </article>
    {{/results}}
    {{#briefNote}}
    <p class="note">{{briefNote}}</p>
    <table class="brief" aria-label="Labels of the lines not shown in full">
      {{#brief}}
      <tr><td class="num">{{number}}</td><td>{{#label}}<span class="badge {{label}}">{{label}}</span>{{/label}}</td><td class="num">{{probability}}</td><td><code>{{message}}</code>{{#problem}}<span class="error">{{problem}}</span>{{/problem}}</td></tr>
      {{/brief}}
    </table>
    {{/briefNote}}
  </section>
</main>
<footer>
  <p>Each label's probability is how likely the model finds that label's characters after "line -&gt;", normalised over the three labels. The heatmap is the last layer's attention (averaged over its heads) at the final position, the one that predicts the label: darker characters weighed more. BOS is the start token. Characters the model never saw in training are refused rather than silently left out. JSON: POST /api/classify with {"lines": [...]}, GET /api/model.</p>
</footer>
<script src="/page.js" defer></script>
</body>
</html>
"""#
}
