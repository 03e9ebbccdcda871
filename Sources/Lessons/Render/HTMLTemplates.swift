// The walkthrough's Mustache templates and stylesheet. Every piece of data goes through `{{ }}`,
// which escapes it; the only `{{{ }}}` are cmark-gfm's rendering of the prose (which does not
// pass raw HTML through) and this file's own stylesheet.
import LessonOutput

enum HTMLTemplates {
    static let page = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}}</title>
    <style>{{{css}}}</style>
    </head>
    <body>
    <header>
    <h1 class="doc-title">{{title}}</h1>
    <p class="summary {{#succeeded}}good{{/succeeded}}{{^succeeded}}bad{{/succeeded}}">{{summary}}</p>
    <nav><h2>Contents</h2><ol>
    {{#chapters}}<li><a href="#{{anchor}}">{{title}}</a>{{#hasFailures}} <span class="badge">{{failures}} failed</span>{{/hasFailures}}</li>
    {{/chapters}}</ol></nav>
    </header>
    <main>
    {{#chapters}}{{> chapter}}{{/chapters}}
    </main>
    </body>
    </html>
    """

    static let chapter = """
    <section class="chapter" id="{{anchor}}">
    <p class="chapter-number">Chapter {{number}} <span class="file">{{file}}</span></p>
    {{#error}}<div class="error-box"><strong>This chapter could not be read</strong><pre>{{message}}</pre></div>{{/error}}
    {{#hasErrors}}<div class="error-box"><strong>Errors in this chapter</strong><pre>{{#errors}}{{message}}
    {{/errors}}</pre></div>{{/hasErrors}}
    {{#hasWarnings}}<div class="warning-box"><strong>Warnings</strong><pre>{{#warnings}}{{message}}
    {{/warnings}}</pre></div>{{/hasWarnings}}
    {{#segments}}{{#isProse}}<div class="prose">{{{html}}}</div>{{/isProse}}{{#isStep}}{{> step}}{{/isStep}}
    {{/segments}}
    {{#hasAnswers}}<section class="answers"><h2>Answers</h2><ol>{{#answers}}<li>{{question}} <strong>{{answer}}</strong>{{#explanation}} {{.}}{{/explanation}}</li>{{/answers}}</ol></section>{{/hasAnswers}}
    </section>
    """

    static let step = """
    <div class="step {{status}}" id="{{anchor}}">
    <div class="step-head"><a class="step-link" href="#{{anchor}}" title="A link to this step">step {{index}}</a><span class="step-id">{{id}}</span><span class="where">{{location}}</span><span class="status">{{status}}</span></div>
    {{#outputs}}{{> output}}{{/outputs}}
    {{#hasChecks}}<ul class="checks">{{#checks}}<li class="{{#passed}}held{{/passed}}{{^passed}}broke{{/passed}}">{{name}} = {{actual}} <span class="expected">({{#selfCheck}}self-check: {{/selfCheck}}expected {{expected}})</span></li>{{/checks}}</ul>{{/hasChecks}}
    {{#error}}<div class="error-box"><strong>{{heading}}</strong><pre>{{message}}</pre></div>{{/error}}
    </div>
    """

    static let output = """
    {{#text}}<div class="text">{{#lines}}<p>{{.}}</p>{{/lines}}</div>{{/text}}
    {{#table}}<figure class="table"><figcaption>{{title}}</figcaption><div class="scroll"><table>
    <thead><tr>{{#columns}}<th>{{.}}</th>{{/columns}}</tr></thead>
    <tbody>{{#rows}}<tr>{{#cells}}<td class="{{#numeric}}num{{/numeric}}">{{text}}</td>{{/cells}}</tr>{{/rows}}</tbody>
    </table></div></figure>{{/table}}
    {{#graph}}<figure class="graph"><figcaption>Computation graph of {{title}}</figcaption>
    <svg width="{{width}}" height="{{height}}" viewBox="0 0 {{width}} {{height}}" role="img" aria-label="{{alt}}">
    {{#edges}}<path d="{{d}}" class="edge"/><path d="{{arrow}}" class="arrow"/>{{/edges}}
    {{#nodes}}<g class="node"><title>{{tip}}</title><rect x="{{x}}" y="{{y}}" width="{{w}}" height="{{h}}" rx="3" class="box"/>
    {{#texts}}<text x="{{x}}" y="{{y}}" class="{{kind}}">{{text}}</text>{{/texts}}{{#op}}<rect x="{{x}}" y="{{y}}" width="{{w}}" height="{{h}}" rx="{{r}}" class="op"/><text x="{{textX}}" y="{{textY}}" class="op-text">{{text}}</text>{{/op}}</g>
    {{/nodes}}</svg></figure>{{/graph}}
    {{#heatmap}}<figure class="heatmap{{#narrow}} narrow{{/narrow}}"><figcaption>{{title}}</figcaption>
    <svg width="{{width}}" height="{{height}}" viewBox="0 0 {{width}} {{height}}" role="img" aria-label="{{alt}}">
    <g transform="{{cells}}" class="cells">{{#shades}}<path d="{{d}}" stroke="{{fill}}"/>{{/shades}}</g>
    {{#tips}}<rect x="{{x}}" y="{{y}}" width="{{width}}" height="{{height}}" class="tip"><title>{{tip}}</title></rect>{{/tips}}
    {{#columnLabels}}<text x="{{x}}" y="{{y}}" class="col-label">{{text}}</text>{{/columnLabels}}
    {{#rowLabels}}<text x="{{x}}" y="{{y}}" class="row-label">{{text}}</text>{{/rowLabels}}
    </svg><p class="legend">{{legend}}</p></figure>{{/heatmap}}
    {{#counts}}<figure class="table"><figcaption>{{title}}</figcaption><table class="counts">
    <thead><tr><th>{{corner}}</th>{{#columnLabels}}<th>{{.}}</th>{{/columnLabels}}</tr></thead>
    <tbody>{{#rows}}<tr><th>{{label}}</th>{{#cells}}<td class="num {{shade}}">{{text}}</td>{{/cells}}</tr>{{/rows}}</tbody>
    </table></figure>{{/counts}}
    {{#chart}}<figure class="chart"><figcaption>{{title}}{{#notFinite}} <span class="file">({{.}})</span>{{/notFinite}}</figcaption>
    <svg width="{{width}}" height="{{height}}" viewBox="0 0 {{width}} {{height}}" role="img" aria-label="{{alt}}">
    <line x1="{{left}}" y1="{{bottom}}" x2="{{right}}" y2="{{bottom}}" class="axis"/><line x1="{{left}}" y1="{{top}}" x2="{{left}}" y2="{{bottom}}" class="axis"/>
    {{#yTicks}}<line x1="{{left}}" y1="{{y}}" x2="{{right}}" y2="{{y}}" class="gridline"/><text x="{{x}}" y="{{y}}" class="y-tick">{{label}}</text>{{/yTicks}}
    {{#xTicks}}<line x1="{{x}}" y1="{{bottom}}" x2="{{x}}" y2="{{top}}" class="gridline"/><text x="{{x}}" y="{{tickY}}" class="x-tick">{{label}}</text>{{/xTicks}}
    {{#lines}}<polyline points="{{points}}" fill="none" stroke="{{colour}}" stroke-width="{{width}}"/>
    <line x1="{{legendX}}" y1="{{legendY}}" x2="{{legendX}}" y2="{{legendY}}" stroke="{{colour}}" stroke-width="8" stroke-linecap="round"/><text x="{{legendX}}" y="{{legendY}}" dx="10" dy="4" class="legend-text">{{name}}</text>{{/lines}}
    <text x="{{xLabelX}}" y="{{xLabelY}}" class="axis-label">{{xLabel}}</text>
    <text x="14" y="{{top}}" class="axis-label" transform="rotate(-90 14 {{top}})" dx="-40">{{yLabel}}</text>
    </svg></figure>{{/chart}}
    {{#bars}}<figure class="bars"><figcaption>{{title}}</figcaption>
    <svg width="{{width}}" height="{{height}}" viewBox="0 0 {{width}} {{height}}" role="img" aria-label="{{alt}}">
    {{#bars}}<text x="{{labelX}}" y="{{textY}}" class="bar-label">{{label}}</text><rect x="{{barX}}" y="{{y}}" width="{{length}}" height="20" class="{{kind}}"/><text x="{{valueX}}" y="{{textY}}">{{value}}</text>{{/bars}}
    </svg></figure>{{/bars}}
    {{#exercise}}<figure class="exercise"><figcaption>{{#isChoice}}Quiz{{/isChoice}}{{^isChoice}}Exercise{{/isChoice}}</figcaption>
    <p class="question">{{question}}</p>
    {{#isChoice}}<ol class="choices">{{#choices}}<li>{{.}}</li>{{/choices}}</ol>{{/isChoice}}
    {{#hint}}<details class="hint"><summary>Hint</summary><p>{{.}}</p></details>{{/hint}}
    <details class="answer"><summary>Show the answer</summary><p><strong>{{answer}}</strong>{{#explanation}} {{.}}{{/explanation}}</p></details>
    </figure>{{/exercise}}
    {{#code}}<figure class="code"><figcaption><span class="file">{{file}}</span>{{#region}} region <code>{{.}}</code>,{{/region}}{{^region}}: a Swift cell,{{/region}} from line {{firstLine}}</figcaption>
    <pre>{{#lines}}<span class="line"><span class="ln">{{number}}</span>{{#tokens}}{{#plain}}{{text}}{{/plain}}{{^plain}}<span class="{{kind}}">{{text}}</span>{{/plain}}{{/tokens}}</span>
    {{/lines}}</pre></figure>{{/code}}
    {{#console}}<pre class="console" aria-label="what the cell printed">{{text}}</pre>{{/console}}
    """

    /// Counts cells are shaded by class, in tenths, not by a style attribute: the notebook's
    /// Content-Security-Policy allows no inline styles.
    static func shadeClass(_ t: Double) -> String { "shade-\(Int((min(1, max(0, t)) * 10).rounded()))" }

    static let shades = (0...10).map { ".shade-\($0) { background: \(Pictures.shade(Double($0) / 10)); }" }.joined(separator: " ")
        + " .shade-nan { background: \(Pictures.notFiniteFill); }"

    static let css = shades + "\n" + """
    :root { --ink: #1d232b; --muted: #5b6672; --rule: #d9dee4; --accent: #16468c; --bad: #b3261e; --good: #1e7a3c;
      --info: #0969da; --warning: #bf8700; --error: #cf222e; }  /* the label colours of gpt serve */
    * { box-sizing: border-box; }
    body { margin: 0 auto; max-width: 60rem; padding: 2rem 1.5rem 4rem; color: var(--ink); background: #fff;
      font: 16px/1.6 Georgia, "Times New Roman", serif; }
    h1, h2, h3, nav, figcaption, .step-head, .summary, .chapter-number, .legend { font-family: "Helvetica Neue", Arial, sans-serif; }
    h1 { font-size: 2rem; line-height: 1.2; margin: 2.5rem 0 1rem; }
    h2 { font-size: 1.35rem; margin: 2rem 0 .5rem; }
    code, pre, .step-id, .where, td, th, svg text { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
    code { font-size: .9em; background: #f3f5f7; padding: 0 .2em; border-radius: 3px; }
    pre { background: #f6f8fa; padding: .75rem 1rem; overflow-x: auto; font-size: .85rem; line-height: 1.45; border-radius: 4px; }
    .prose table { border-collapse: collapse; margin: 1rem 0; }
    .prose th, .prose td { border: 1px solid var(--rule); padding: .25rem .6rem; font-size: .9rem; }
    header nav ol { padding-left: 1.4rem; }
    .summary { font-weight: bold; } .summary.good { color: var(--good); } .summary.bad { color: var(--bad); }
    .badge { color: #fff; background: var(--bad); border-radius: 3px; padding: 0 .35rem; font-size: .8rem; }
    .chapter { border-top: 3px solid var(--ink); margin-top: 3rem; }
    .chapter-number { color: var(--muted); margin: .5rem 0 0; font-size: .9rem; }
    .file { color: var(--muted); font-size: .85rem; }
    .step { border-left: 4px solid var(--accent); background: #fbfcfd; margin: 1.25rem 0; padding: .5rem 1rem .75rem; }
    .step.failed { border-left-color: var(--bad); } .step.skipped { border-left-color: #c98a00; }
    .step-head { display: flex; gap: 1rem; align-items: baseline; font-size: .85rem; color: var(--muted); }
    .step-id { color: var(--accent); font-weight: bold; }
    .step-link { color: var(--muted); text-decoration: none; } .step-link:hover { text-decoration: underline; }
    .cell .step-link { display: none; }  /* a notebook cell's bar links the cell already */
    .step-head .status { margin-left: auto; text-transform: uppercase; letter-spacing: .05em; }
    .step.failed .status { color: var(--bad); } .step.passed .status { color: var(--good); }
    figure { margin: .75rem 0; } figcaption { font-size: .85rem; font-weight: bold; margin-bottom: .3rem; }
    .scroll { overflow-x: auto; }
    table { border-collapse: collapse; font-size: .8rem; }
    th { text-align: left; border-bottom: 2px solid var(--rule); padding: .15rem .6rem; }
    td { border-bottom: 1px solid #eef0f3; padding: .1rem .6rem; white-space: pre; }
    td.num { text-align: right; }
    .text p { margin: .3rem 0; font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: .85rem; white-space: pre-wrap; }
    .checks { list-style: none; padding: 0; margin: .5rem 0 0; font-size: .8rem; font-family: "DejaVu Sans Mono", monospace; }
    .checks li::before { content: "\\2713  "; color: var(--good); } .checks li.broke::before { content: "\\2717  "; color: var(--bad); }
    .checks .expected { color: var(--muted); }
    .error-box { border: 2px solid var(--bad); background: #fdf0ef; padding: .5rem .75rem; margin: .5rem 0; }
    .error-box strong { color: var(--bad); font-family: "Helvetica Neue", Arial, sans-serif; }
    .error-box pre { background: transparent; padding: .25rem 0 0; white-space: pre-wrap; margin: 0; }
    .warning-box { border: 2px solid var(--warning); background: #fdf8e6; padding: .5rem .75rem; margin: .5rem 0; }
    .warning-box strong { color: var(--warning); font-family: "Helvetica Neue", Arial, sans-serif; }
    .warning-box pre { background: transparent; padding: .25rem 0 0; white-space: pre-wrap; margin: 0; }
    svg text { font-size: 11px; fill: var(--ink); }
    figure svg { max-width: 100%; height: auto; }
    .graph text { font-size: 12px; text-anchor: middle; }
    .edge { fill: none; stroke: #7d8995; stroke-width: 1.3; } .arrow { fill: #7d8995; }
    .box { fill: #fff; stroke: var(--ink); stroke-width: 1; }
    .op { fill: #eaf0f8; stroke: var(--accent); }
    .graph .op-text { font-weight: bold; fill: var(--accent); }
    .graph .label { font-weight: bold; } .graph .grad { fill: #8a2a1e; }
    .tip { fill: #000; fill-opacity: 0; }
    .heatmap { display: inline-block; vertical-align: top; margin-right: 1.25rem; max-width: 100%; }
    .heatmap figcaption, .heatmap .legend { width: 0; min-width: 100%; }  /* as wide as the picture, never wider */
    .heatmap text { font-size: 11px; }
    .heatmap.narrow { min-width: min(100%, 20rem); }  /* a tall, thin matrix: room for its caption */
    .cells path { fill: none; stroke-width: 1; shape-rendering: crispEdges; }
    .col-label { text-anchor: middle; } .row-label { text-anchor: middle; }
    .axis { stroke: var(--ink); } .gridline { stroke: #edf0f3; }
    .y-tick { text-anchor: end; dominant-baseline: middle; } .x-tick { text-anchor: middle; }
    .axis-label { font-style: italic; text-anchor: middle; fill: var(--muted); }
    .bar { fill: var(--accent); }
    .bar.label-info { fill: var(--info); } .bar.label-warning { fill: var(--warning); } .bar.label-error { fill: var(--error); } .bar-label { text-anchor: end; font-weight: bold; }
    .legend { font-size: .8rem; color: var(--muted); margin: .25rem 0 0; }
    .code pre { counter-reset: none; }
    pre.console { background: #fff; border-left: 3px solid #8a94a6; white-space: pre-wrap; }
    .tok-keyword { color: #8e2a8e; } .tok-string { color: #1a6a1a; } .tok-comment { color: #6a737d; font-style: italic; }
    .tok-number { color: #b05a00; }
    .code .ln { display: inline-block; width: 3.2em; color: #9aa4ae; user-select: none; }
    .exercise { border: 1px solid var(--rule); border-radius: 4px; padding: .5rem .75rem; background: #fff; }
    .exercise .question { margin: .25rem 0; font-weight: bold; }
    .exercise details { margin: .35rem 0; font-size: .9rem; } .exercise summary { cursor: pointer; color: var(--accent); }
    .answers { display: none; }
    @media print {
      .answers { display: block; page-break-before: always; }
      details.answer { display: none; }
      body { max-width: none; padding: 0; font-size: 11pt; }
      .chapter { page-break-before: always; }
      .step, figure, pre { page-break-inside: avoid; }
      .step-head, figcaption { break-after: avoid; }  /* never a step's head alone at a page's foot */
      .scroll { overflow: visible; }
      /* Paper does not scroll: long code lines wrap, under their own text, not under the numbers. */
      pre { white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; }
      td, th { overflow-wrap: anywhere; }  /* a long log line wraps inside its cell */
      .heatmap { width: calc(50% - .75rem); margin-right: .5rem; }  /* two heads a row on the page */
      .heatmap svg { width: 100%; }
      a { color: inherit; text-decoration: none; }
    }
    """
}
