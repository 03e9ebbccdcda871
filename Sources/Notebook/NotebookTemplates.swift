// The notebook's Mustache templates and its own styles (the walkthrough's stylesheet comes first).
// Data goes through `{{ }}`, which escapes it; `{{{ }}}` only takes HTML this module or the
// walkthrough's renderer made. Pages work without JavaScript: every control is a form that posts
// and comes back to the page. The script (NotebookScript.swift) makes the same forms live.

enum NotebookTemplates {
    static var all: [(String, String)] {
        [("contents", contents), ("chapterPage", chapterPage), ("chapterBody", chapterBody), ("cell", cell),
         ("codeBox", codeBox), ("preparing", preparing), ("gone", gone)]
    }

    static let head = """
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <link rel="stylesheet" href="/notebook.css">
    """

    static let contents = """
    <!DOCTYPE html>
    <html lang="en">
    <head>\(head)
    <title>{{title}}</title>
    </head>
    <body class="notebook">
    <header><h1 class="doc-title">{{title}}</h1>
    <p>Each chapter is a page of prose and steps that run on the real engine. Change any step's values and
    see what follows: the steps that depend on it run again, and anything that is not up to date says so.</p>
    {{#first}}<p><a class="button" href="{{.}}">Start with chapter 1</a></p>{{/first}}
    </header>
    <main>
    {{#problem}}<div class="error-box"><strong>The lessons folder cannot be read</strong><pre>{{message}}</pre></div>{{/problem}}
    <nav><h2>Chapters</h2><ol class="chapters">
    {{#chapters}}<li><a href="{{href}}">{{title}}</a> <span class="file">{{steps}} steps: {{passed}} passed{{#hasFailed}}, <span class="bad">{{failed}} failed</span>{{/hasFailed}}{{#hasStale}}, {{stale}} not up to date{{/hasStale}}</span>
    {{#error}}<div class="error-box"><pre>{{message}}</pre></div>{{/error}}</li>
    {{/chapters}}</ol></nav>
    </main>
    <footer><p class="file">Limits: {{limits}}.</p></footer>
    </body>
    </html>
    """

    static let chapterPage = """
    <!DOCTYPE html>
    <html lang="en">
    <head>\(head)
    <title>{{title}}</title>
    <script src="/notebook.js" defer></script>
    </head>
    <body class="notebook" data-session="{{session}}" data-chapter="{{number}}">
    <div class="toolbar" role="navigation">
    <a href="{{contents}}">Contents</a>
    {{#previous}}<a href="{{href}}" rel="prev">&larr; {{title}}</a>{{/previous}}
    {{#next}}<a href="{{href}}" rel="next">{{title}} &rarr;</a>{{/next}}
    <span class="where-am-i" id="progress">Chapter {{position}} of {{count}}</span>
    <span class="tools">
    <button type="button" id="step-through" hidden>Step through</button>
    <form method="post" action="{{runAll}}" class="inline"><button>Run all stale steps</button></form>
    <a href="{{export}}">Save as HTML</a>
    <a href="{{markdown}}">Download Markdown</a>
    </span>
    </div>
    <div id="notice" role="status" aria-live="polite"></div>
    <main id="chapter">{{{body}}}</main>
    <div class="step-controls" id="step-controls" hidden><button type="button" id="next-step">Next step</button> <button type="button" id="show-all">Show everything</button></div>
    <footer>
    <form method="post" action="{{save}}" class="save">
    <label>Save this chapter, with your values, as Markdown in the folder <input type="text" name="folder" placeholder="/path/to/folder" required></label>
    <label><input type="checkbox" name="replace" value="true"> replace a file of that name</label>
    <button>Save</button>
    </form>
    <p class="file">Limits: {{limits}}.</p>
    </footer>
    </body>
    </html>
    """

    static let chapterBody = """
    <section class="chapter" data-steps="{{steps}}">
    <p class="chapter-number">Chapter {{number}} <span class="file">{{file}}</span></p>
    {{#error}}<div class="error-box"><strong>This chapter could not be read</strong><pre>{{message}}</pre></div>{{/error}}
    {{#segments}}{{#prose}}<div class="prose segment">{{{.}}}</div>{{/prose}}{{#cell}}{{{.}}}{{/cell}}{{#adder}}<div class="add-cell"><details><summary>add a step here</summary>
    <form method="post" action="{{action}}"><input type="hidden" name="after" value="{{after}}">
    <select name="step">{{#steps}}<option value="{{id}}" title="{{summary}}">{{id}}</option>{{/steps}}</select> <button>Add</button></form></details>
    <form method="post" action="{{action}}" class="add-swift"><input type="hidden" name="after" value="{{after}}"><input type="hidden" name="step" value="{{swift}}"><button title="a cell of your own Swift, run on the real engine; it sees what the Swift cells above it defined">Swift cell</button></form></div>{{/adder}}
    {{/segments}}
    </section>
    """

    static let cell = """
    <div class="cell segment {{freshness}}" id="cell-{{id}}" data-cell="{{id}}" data-revision="{{revision}}" data-index="{{index}}">
    <div class="cell-bar"><a class="anchor" href="#cell-{{id}}">step {{index}} of {{count}}</a> <span class="step-id">{{step}}</span>
    <span class="where">{{where}}</span>{{#edited}} <span class="mark edited">edited</span>{{/edited}}{{#added}} <span class="mark added">added</span>{{/added}}
    {{#running}}<span class="mark running">running</span>{{/running}}</div>
    {{#stale}}<p class="stale-mark" role="status"><strong>Not up to date:</strong> {{reason}}.{{#long}} <button type="submit" form="form-{{id}}" formaction="{{run}}">Run</button>{{/long}}</p>{{/stale}}
    {{#running}}<p class="running-mark" role="status"><strong>Running</strong>{{#long}} <span class="progress-text" id="progress-{{id}}"></span> <progress id="bar-{{id}}" max="1" value="0"></progress>
    <button type="submit" form="form-{{id}}" formaction="{{cancel}}">Cancel</button>{{/long}}</p>{{/running}}
    {{#codeBox}}{{{.}}}{{/codeBox}}{{^codeBox}}<form class="parameters{{^parametersForm}} only-buttons{{/parametersForm}}" id="form-{{id}}" method="post" action="{{action}}" title="{{summary}}">
    {{#fields}}<div class="field"><label for="{{inputID}}">{{name}}</label><span class="control">
    {{#number}}<input type="text" inputmode="decimal" id="{{inputID}}" name="{{name}}" value="{{value}}" data-kind="number">{{/number}}
    {{#integer}}<input type="number" id="{{inputID}}" name="{{name}}" value="{{value}}" min="{{min}}" max="{{max}}" step="1">{{#slider}}<input type="range" aria-label="{{name}}" data-for="{{inputID}}" value="{{value}}" min="{{min}}" max="{{max}}" step="1">{{/slider}}{{/integer}}
    {{#flag}}<input type="hidden" name="{{name}}" value="false"><input type="checkbox" id="{{inputID}}" name="{{name}}" value="true"{{#checked}} checked{{/checked}}>{{/flag}}
    {{#choice}}<select id="{{inputID}}" name="{{name}}">{{#options}}<option{{#selected}} selected{{/selected}}>{{word}}</option>{{/options}}</select>{{/choice}}
    {{#text}}<input type="text" class="wide" id="{{inputID}}" name="{{name}}" value="{{value}}" spellcheck="false">{{/text}}
    </span>
    <span class="summary">{{summary}}</span>
    <span class="field-error" data-error-for="{{name}}">{{#error}}{{.}}{{/error}}</span></div>
    {{/fields}}
    {{#namedInputs}}<div class="field"><label for="cell-{{id}}-new-input">new input</label><span class="control">
    <input type="text" id="cell-{{id}}-new-input" name="new-input-name" placeholder="name" class="short" data-manual="yes" spellcheck="false"> =
    <input type="text" name="new-input-value" placeholder="number" aria-label="value of the new input" data-manual="yes" inputmode="decimal"></span>
    <span class="summary">an input the expression uses, as in x = 3 (an input left empty is taken out)</span>
    <span class="field-error" data-error-for="new-input-name"></span></div>{{/namedInputs}}
    {{#formError}}<div class="error-box"><pre>{{message}}</pre></div>{{/formError}}
    <div class="buttons">{{#parametersForm}}<button type="submit">Apply</button>{{/parametersForm}}{{#resettable}} <button type="submit" formaction="{{reset}}">Reset</button>{{/resettable}}{{^stale}}{{#long}} <button type="submit" formaction="{{run}}">Run again</button>{{/long}}{{/stale}} <button type="submit" formaction="{{remove}}" class="quiet">Remove</button></div>
    </form>{{/codeBox}}
    <div class="output">{{#output}}{{{.}}}{{/output}}{{^output}}<p class="file">No output yet.</p>{{/output}}</div>
    {{#quiz}}<form class="answer" method="post" action="{{action}}">
    {{#isChoice}}{{#choices}}<label class="choice"><input type="radio" name="response" id="{{inputID}}" value="{{text}}"{{#checked}} checked{{/checked}}> {{text}}</label>{{/choices}}{{/isChoice}}
    {{^isChoice}}<label>Your answer <input type="text" name="response" inputmode="decimal" value="{{given}}" data-manual="yes"></label>{{/isChoice}}
    <button type="submit">Check</button>
    {{#verdict}}<p class="verdict {{#right}}right{{/right}}{{^right}}wrong{{/right}}" role="status">{{message}}</p>{{/verdict}}
    </form>{{/quiz}}
    </div>
    """

    /// A Swift cell's form (NotebookCodeBox.swift). The line break after <textarea> is the one a
    /// browser drops, so that code starting with a blank line keeps it.
    static let codeBox = """
    <form class="code-cell" id="form-{{id}}" method="post" action="{{action}}">
    <div class="code-box" data-first-line="{{firstLine}}" data-error-lines="{{errorLines}}">
    <div class="gutter" aria-hidden="true">{{#numbers}}<span{{#bad}} class="bad"{{/bad}}>{{number}}</span>{{/numbers}}</div>
    <textarea id="cell-{{id}}-code" name="code" rows="{{rows}}" wrap="off" spellcheck="false" autocapitalize="off" autocomplete="off" aria-label="the cell's Swift code" placeholder="Your own Swift, on the real engine. What it prints and show(value) appear below the box; it sees what the Swift cells above it defined.">
    {{code}}</textarea>
    </div>
    <span class="field-error" data-error-for="code">{{#error}}{{message}}{{/error}}</span>
    <div class="buttons"><button type="submit" class="run" title="compile and run this cell (Ctrl+Enter)">Run</button>{{#resettable}} <button type="submit" formaction="{{reset}}" title="back to the chapter's code">Reset</button>{{/resettable}} <button type="submit" formaction="{{remove}}" class="quiet">Remove</button>
    <span class="unsent" hidden>changed since it ran: press Run</span>
    <span class="keys"><kbd>Ctrl</kbd>+<kbd>Enter</kbd> runs the cell, <kbd>Tab</kbd> indents (<kbd>Esc</kbd> first to leave the box)</span></div>
    </form>
    """

    static let preparing = """
    <!DOCTYPE html>
    <html lang="en">
    <head>\(head)
    <meta http-equiv="refresh" content="1">
    <title>The notebook is getting ready</title>
    </head>
    <body class="notebook">
    <h1 class="doc-title">The notebook is getting ready</h1>
    <p>It runs every chapter once, as <code>gpt run</code> does, so that each tab starts from the chapters' own results: {{done}} of {{total}} steps so far, including a training run. This page reloads itself.</p>
    </body>
    </html>
    """

    static let gone = """
    <!DOCTYPE html>
    <html lang="en">
    <head>\(head)
    <title>This notebook session has ended</title>
    </head>
    <body class="notebook">
    <h1 class="doc-title">This notebook session has ended</h1>
    <p>{{reason}}</p>
    <p><a class="button" href="/">Open a new session</a> (it starts from the chapters' own values; save a chapter as Markdown to keep your edits).</p>
    </body>
    </html>
    """

    static let css = """
    body.notebook { max-width: 64rem; }
    .toolbar { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--rule);
      display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; padding: .5rem 0; font: 14px/1.4 "Helvetica Neue", Arial, sans-serif; }
    .toolbar .tools { margin-left: auto; display: flex; gap: .75rem; align-items: center; }
    .where-am-i { color: var(--muted); }
    form.inline { display: inline; margin: 0; }
    button, .button { font: 13px "Helvetica Neue", Arial, sans-serif; border: 1px solid var(--accent); background: #fff; color: var(--accent);
      border-radius: 4px; padding: .2rem .6rem; cursor: pointer; text-decoration: none; }
    button:hover, .button:hover { background: #eaf0f8; }
    button.quiet { border-color: var(--rule); color: var(--muted); }
    #notice:not(:empty) { border: 1px solid var(--accent); background: #eef3fb; padding: .4rem .75rem; margin: .5rem 0; font: 14px "Helvetica Neue", Arial, sans-serif; }
    #notice.bad { border-color: var(--bad); background: #fdf0ef; }
    .cell { border-left: 4px solid var(--accent); background: #fbfcfd; margin: 1.25rem 0; padding: .5rem 1rem .75rem; }
    .cell.stale { border-left-color: #c98a00; background: #fffaf0; }
    .cell.stale .output { opacity: .55; }
    .cell.running { border-left-color: #6b4fbb; }
    .cell-bar { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: baseline; font: 13px "Helvetica Neue", Arial, sans-serif; color: var(--muted); }
    .cell-bar .anchor { color: var(--muted); }
    .mark { border-radius: 3px; padding: 0 .35rem; font-size: 12px; color: #fff; }
    .mark.edited { background: #6b4fbb; } .mark.added { background: var(--good); } .mark.running { background: #6b4fbb; }
    .stale-mark, .running-mark { margin: .4rem 0; font: 14px "Helvetica Neue", Arial, sans-serif; color: #7a5200; }
    .running-mark { color: #4a3590; }
    .running-mark progress { width: 12rem; vertical-align: middle; }
    .parameters { display: grid; grid-template-columns: max-content 1fr; gap: .3rem .75rem; align-items: center; margin: .5rem 0;
      font: 13px "Helvetica Neue", Arial, sans-serif; }
    .parameters .field { display: contents; }
    .parameters label { font-family: "DejaVu Sans Mono", Menlo, monospace; font-weight: bold; text-align: right; }
    .parameters .summary { grid-column: 2; color: var(--muted); font-size: 12px; margin-top: -.25rem; }
    .parameters .field-error { grid-column: 2; color: var(--bad); white-space: pre-wrap; font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
    .parameters .field-error:empty { display: none; }
    .parameters input[type=text], .parameters input[type=number] { font: 13px "DejaVu Sans Mono", Menlo, monospace; padding: .15rem .3rem; width: 10rem; }
    .parameters input.wide { width: 100%; max-width: 40rem; }
    .parameters input.short { width: 6rem; }
    .parameters input[type=range] { width: 14rem; }
    .parameters .buttons, .parameters .error-box { grid-column: 1 / -1; }
    .parameters .control { display: flex; align-items: center; gap: .5rem; }
    .parameters input[type=checkbox] { margin: 0; }
    /* The walkthrough's step box sits inside the cell, which already names the step and its place. */
    .cell .step { border-left: 0; background: transparent; padding: 0; margin: .5rem 0 0; }
    .cell .step-head .step-id, .cell .step-head .where { display: none; }
    form.answer { margin: .5rem 0; font: 14px "Helvetica Neue", Arial, sans-serif; }
    form.answer .choice { display: block; margin: .2rem 0; }
    .verdict { margin: .4rem 0; font-weight: bold; } .verdict.right { color: var(--good); } .verdict.wrong { color: var(--bad); }
    .parameters.only-buttons { display: block; }
    /* A Swift cell: its code box, numbered as the compiler counts, the lines an error points at in red. */
    .code-cell { margin: .5rem 0; font: 13px "Helvetica Neue", Arial, sans-serif; }
    .code-box { display: flex; align-items: flex-start; background: #f6f8fa; border: 1px solid var(--rule); border-radius: 4px; }
    .code-box:focus-within { border-color: var(--accent); box-shadow: 0 0 0 2px #dbe6f5; }
    .code-box .gutter, .code-box textarea { font: 13px/1.5 "DejaVu Sans Mono", Menlo, Consolas, monospace; padding: .5rem 0; margin: 0; }
    .code-box .gutter { flex: none; min-width: 2.5em; padding-left: .5rem; padding-right: .5rem; text-align: right; color: #9aa4ae;
      border-right: 1px solid var(--rule); user-select: none; }
    .code-box .gutter span { display: block; }
    .code-box .gutter span.bad { color: #fff; background: var(--bad); border-radius: 2px; padding-right: .2rem; margin-right: -.2rem; }
    .code-box textarea { flex: 1; min-width: 0; border: 0; outline: 0; background: transparent; color: var(--ink); resize: vertical;
      padding-left: .75rem; padding-right: .75rem; white-space: pre; overflow-x: auto; overflow-y: hidden; tab-size: 4; }
    .code-cell .field-error { display: block; color: var(--bad); white-space: pre-wrap; font: 12px "DejaVu Sans Mono", monospace; margin-top: .25rem; }
    .code-cell .field-error:empty { display: none; }
    .code-cell .buttons { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; margin-top: .4rem; }
    .code-cell button.run { background: var(--accent); color: #fff; font-weight: bold; padding: .2rem 1rem; }
    .code-cell button.run:hover { background: #0f3670; }
    .code-cell .keys { margin-left: auto; color: var(--muted); font-size: 12px; }
    .code-cell kbd { font: 11px "DejaVu Sans Mono", monospace; border: 1px solid var(--rule); border-bottom-width: 2px; border-radius: 3px; padding: 0 .25rem; background: #fff; }
    .code-cell .unsent { color: #7a5200; font-size: 12px; }
    .add-cell { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 0 1.25rem; margin: -.75rem 0 0; font: 12px "Helvetica Neue", Arial, sans-serif; color: var(--muted); }
    .chapter-number + .add-cell { margin-top: .25rem; }  /* the first one follows no cell to tuck under */
    .add-cell summary { cursor: pointer; list-style: none; opacity: .6; } .add-cell summary:hover { opacity: 1; }
    .add-cell summary::before { content: "+ "; }
    .add-cell details form { margin: .25rem 0 .5rem; }
    .add-cell form.add-swift { margin: 0; }
    .add-cell .add-swift button { border: 0; background: none; padding: 0; font: inherit; color: inherit; opacity: .6; }
    .add-cell .add-swift button:hover { opacity: 1; background: none; }
    .add-cell .add-swift button::before { content: "+ "; }
    .hidden-by-step { display: none; }
    .step-controls { position: sticky; bottom: 0; background: #fff; border-top: 1px solid var(--rule); padding: .5rem 0; }
    footer { margin-top: 3rem; border-top: 1px solid var(--rule); font: 13px "Helvetica Neue", Arial, sans-serif; }
    footer .save { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: 1rem 0; }
    footer .save input[type=text] { width: 20rem; }
    ol.chapters li { margin: .4rem 0; } .bad { color: var(--bad); }
    @media print { .toolbar, .parameters, .code-cell .buttons, .add-cell, footer, .step-controls { display: none; } }
    """
}
