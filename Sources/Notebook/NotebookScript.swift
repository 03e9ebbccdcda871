// The notebook page's script, served as /notebook.js (the page's Content-Security-Policy allows no
// other). It makes the page's forms live: a changed value is posted as the form would post it, and
// the cells the server sends back (and those its event stream sends later, such as a training
// run's) replace their old selves. A Swift cell's code box is posted only on Run (or Ctrl+Enter),
// as a compile takes a second. It adds the step-through mode and the "step 3 of 9" indicator.
// Without it the page still reads and every form still works, one page load at a time.

enum NotebookScript {
    static let text = #"""
    "use strict";
    (() => {
      const body = document.body;
      const session = body.dataset.session;
      const chapterNumber = Number(body.dataset.chapter);
      if (!session) return;
      const base = "/s/" + session + "/";
      const main = document.getElementById("chapter");
      const notice = document.getElementById("notice");
      const progress = document.getElementById("progress");
      const progressPrefix = progress ? progress.textContent : "";

      function say(text, bad) {
        notice.textContent = text || "";
        notice.className = bad ? "bad" : "";
      }

      // MARK: Talking to the server

      async function post(url, data) {
        let response;
        try {
          response = await fetch(url, {
            method: "POST", body: data, credentials: "same-origin",
            headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
          });
        } catch (error) {
          say("The notebook server did not answer: is `gpt notebook` still running?", true);
          return null;
        }
        let json = null;
        try { json = await response.json(); } catch (error) { json = null; }
        return { ok: response.ok, status: response.status, json };
      }

      function element(html) {
        const template = document.createElement("template");
        template.innerHTML = html.trim();
        return template.content.firstElementChild;
      }

      /// Puts a cell the server sent in place of the one on the page, unless the page already has
      /// a newer one. A form the learner is typing in stays as it is: only the rest is replaced;
      /// so does a code box holding code not yet run (a cell above that ran makes this one run).
      function updateCell(answer) {
        const old = document.getElementById("cell-" + answer.id);
        if (!old || Number(old.dataset.revision) >= answer.revision) return;
        const fresh = element(answer.html);
        const form = old.querySelector("form.parameters, form.code-cell");
        const freshForm = fresh.querySelector("form.parameters, form.code-cell");
        const code = form && form.querySelector(".code-box textarea");
        if (form && freshForm && (form.contains(document.activeElement) || (code && codeChanged(code)))) {
          for (const slot of form.querySelectorAll(".field-error")) {
            const match = freshForm.querySelector('[data-error-for="' + CSS.escape(slot.dataset.errorFor) + '"]');
            slot.textContent = match ? match.textContent : "";
          }
          keepCode(form, freshForm);
          for (const child of [...old.children]) if (child !== form) child.remove();
          let before = true;
          for (const child of [...fresh.children]) {
            if (child === freshForm) { before = false; continue; }
            if (before) old.insertBefore(child, form); else old.appendChild(child);
          }
          old.className = fresh.className;
          old.dataset.revision = fresh.dataset.revision;
          wire(old);
        } else {
          fresh.classList.toggle("hidden-by-step", old.classList.contains("hidden-by-step"));
          old.replaceWith(fresh);
          wire(fresh);
        }
      }

      function apply(json, started) {
        if (json.body !== undefined && json.body !== null) redrawWith(json.body);
        for (const cell of json.cells || []) updateCell(cell);
        if (json.notice) say(json.notice);
        if (started !== undefined) body.dataset.lastAnswerMs = String(Math.round(performance.now() - started));
        showPlace();
      }

      function showErrors(form, json) {
        for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
        const slot = json && json.parameter
          ? form.querySelector('[data-error-for="' + CSS.escape(json.parameter) + '"]') : null;
        const text = json ? json.error + (json.hint ? "\nHINT: " + json.hint : "") : "The notebook could not take this.";
        if (slot) { slot.textContent = text; say(""); } else { say(text, true); }
      }

      // MARK: Swift cells' code boxes

      /// Numbers the box's lines as the compiler counts them, marks those the last run's errors
      /// point at, fits the box to its code, and says whether the code changed since it ran.
      function fitCode(box) {
        const area = box.querySelector("textarea"), gutter = box.querySelector(".gutter");
        const first = Number(box.dataset.firstLine || "1");
        const bad = new Set((box.dataset.errorLines || "").split(" ").filter(Boolean).map(Number));
        const count = area.value.split("\n").length;
        gutter.replaceChildren(...Array.from({ length: count }, (_, offset) => {
          const number = document.createElement("span");
          number.textContent = String(first + offset);
          if (bad.has(first + offset)) number.className = "bad";
          return number;
        }));
        area.rows = Math.max(3, count + 1);
        const unsent = box.closest("form").querySelector(".unsent");
        if (unsent) unsent.hidden = !codeChanged(area);
      }

      /// True when the box holds other code than the code its cell last ran.
      function codeChanged(area) {
        return area.value.replace(/\r\n?/g, "\n") !== area.defaultValue.replace(/\r\n?/g, "\n");
      }

      /// A code box kept as typed takes the server's error marks and its code as the code that ran.
      function keepCode(form, freshForm) {
        const box = form.querySelector(".code-box"), freshBox = freshForm.querySelector(".code-box");
        if (!box || !freshBox) return;
        box.dataset.errorLines = freshBox.dataset.errorLines;
        box.dataset.firstLine = freshBox.dataset.firstLine;
        box.querySelector("textarea").defaultValue = freshBox.querySelector("textarea").defaultValue;
        fitCode(box);
      }

      function wireCode(area) {
        const box = area.closest(".code-box"), form = area.form;
        area.addEventListener("input", () => fitCode(box));
        area.addEventListener("blur", () => { delete area.dataset.leaving; });
        area.addEventListener("keydown", event => {
          if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            form.requestSubmit(form.querySelector("button.run"));
          } else if (event.key === "Escape") {
            area.dataset.leaving = "yes";  // the next Tab moves on, as it does everywhere else
          } else if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey && !area.dataset.leaving) {
            event.preventDefault();
            // insertText keeps the browser's undo; setRangeText is the fallback where it is gone.
            if (!document.execCommand("insertText", false, "    ")) {
              area.setRangeText("    ", area.selectionStart, area.selectionEnd, "end");
              fitCode(box);
            }
          } else if (event.key !== "Shift") {
            delete area.dataset.leaving;
          }
        });
        fitCode(box);
      }

      const sent = new WeakMap();
      async function send(form, url) {
        const number = (sent.get(form) || 0) + 1;
        sent.set(form, number);
        const started = performance.now();
        // A new input becomes a field of its own: the form is to be redrawn, not kept as typed
        // (a form with the focus in it is kept), whether the cell comes back in the answer or as an event.
        // Only when this post carries it: both halves filled in (a half-typed one stays as typed).
        const added = form.querySelector('[name="new-input-name"]'), addedValue = form.querySelector('[name="new-input-value"]');
        if (added && added.value.trim() && addedValue.value.trim() && form.contains(document.activeElement)) document.activeElement.blur();
        const result = await post(url, new URLSearchParams(new FormData(form)));
        if (!result || sent.get(form) !== number) return;  // a later edit of this form is on its way
        if (!result.ok) { showErrors(form, result.json); return; }
        for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
        say("");
        apply(result.json, started);
      }

      const timers = new WeakMap();
      function schedule(form, delay) {
        clearTimeout(timers.get(form));
        timers.set(form, setTimeout(() => send(form, form.action), delay));
      }

      // MARK: Wiring forms

      function wire(root) {
        for (const form of root.querySelectorAll("form")) {
          if (form.dataset.wired) continue;
          form.dataset.wired = "yes";
          if (form.closest("footer") || form.classList.contains("inline") || form.closest(".add-cell") || form.classList.contains("answer")) {
            form.addEventListener("submit", event => {
              event.preventDefault();
              const known = new Set(cells().map(cell => cell.id));
              send(form, form.action).then(() => {
                const details = form.closest("details");
                if (details) details.open = false;
                // A new Swift cell is there to be typed in.
                const added = cells().find(cell => !known.has(cell.id));
                const code = added && added.querySelector(".code-box textarea");
                if (form.classList.contains("add-swift") && code) code.focus();
              });
            });
            continue;
          }
          form.addEventListener("submit", event => {
            event.preventDefault();
            const button = event.submitter;
            const url = button && button.hasAttribute("formaction") ? button.formAction : form.action;
            // Reset puts back the chapter's values and code: the cell is redrawn with them, not kept as typed.
            if (/\/reset$/.test(url)) {
              for (const area of form.querySelectorAll(".code-box textarea")) area.value = area.defaultValue;
              if (form.contains(document.activeElement)) document.activeElement.blur();
            }
            send(form, url);
          });
          for (const area of form.querySelectorAll(".code-box textarea")) wireCode(area);
          for (const input of form.querySelectorAll("input, select")) {
            if (input.type === "hidden") continue;
            if (input.type === "range") {
              input.addEventListener("input", () => {
                const field = document.getElementById(input.dataset.for);
                if (field) field.value = input.value;
                schedule(form, 60);
              });
              continue;
            }
            if (input.dataset.manual) {
              // A new input's name and value go together, when both are typed: on Enter or on leaving the field.
              input.addEventListener("change", () => {
                const name = form.querySelector('[name="new-input-name"]'), value = form.querySelector('[name="new-input-value"]');
                if (name.value.trim() && value.value.trim()) schedule(form, 0);
              });
              continue;
            }
            const slider = form.querySelector('input[type=range][data-for="' + CSS.escape(input.id) + '"]');
            const sync = () => { if (slider) slider.value = input.value; };
            if (input.type === "text" || input.type === "number") {
              // A short pause after the last keystroke: a number updates at once, an expression
              // once typing pauses (a half-typed one only shows its syntax error meanwhile).
              input.addEventListener("input", () => { sync(); schedule(form, input.dataset.kind === "number" || input.type === "number" ? 60 : 150); });
            } else {
              input.addEventListener("change", () => schedule(form, 0));
            }
          }
        }
        // Buttons outside their form (Run and Cancel in a stale mark) post that form to their own address.
        for (const button of root.querySelectorAll("button[form]")) {
          if (button.dataset.wired) continue;
          button.dataset.wired = "yes";
          button.addEventListener("click", event => {
            event.preventDefault();
            const form = document.getElementById(button.getAttribute("form"));
            if (form) send(form, button.formAction);
          });
        }
      }

      // MARK: Redrawing the chapter

      /// Draws the chapter anew, keeping the code typed in each code box and not yet run, where the
      /// cell is still there and the server has not changed its code meanwhile.
      function redrawWith(html) {
        const scroll = window.scrollY;
        const typed = [...main.querySelectorAll(".code-box textarea")].filter(codeChanged)
          .map(area => ({ id: area.id, value: area.value, ran: area.defaultValue }));
        main.innerHTML = html;
        for (const kept of typed) {
          const area = document.getElementById(kept.id);
          if (area && area.defaultValue === kept.ran) area.value = kept.value;
        }
        wire(main);
        applyStepping();
        window.scrollTo(0, scroll);
      }

      async function redraw() {
        try {
          const response = await fetch(base + "chapter/" + chapterNumber + "/body", { credentials: "same-origin" });
          if (response.ok) redrawWith(await response.text());
        } catch (error) { /* the stream reconnects and tries again */ }
      }

      // MARK: Following the session

      function follow() {
        const events = new EventSource(base + "events");
        events.addEventListener("cells", event => {
          for (const cell of JSON.parse(event.data)) updateCell(cell);
          showPlace();
        });
        events.addEventListener("progress", event => {
          const p = JSON.parse(event.data);
          const text = document.getElementById("progress-" + p.cell);
          if (text) text.textContent = "step " + p.step + " of " + p.steps + ", loss " + p.loss.toFixed(3)
            + ", about " + Math.ceil(p.remainingSeconds) + " s left";
          const bar = document.getElementById("bar-" + p.cell);
          if (bar) bar.value = p.step / p.steps;
        });
        events.addEventListener("chapter", event => {
          if (Number(event.data) === chapterNumber) { redraw(); say("The chapter changed on disk; the page shows it now."); }
        });
        events.addEventListener("ended", event => {
          say("This session has ended: " + JSON.parse(event.data) + ". Reload the page for a new one.", true);
          events.close();
        });
        events.addEventListener("open", () => { body.dataset.following = "yes"; });
      }

      // MARK: Step-through and the place indicator

      const key = "gpt-notebook-step:" + session + ":" + chapterNumber;
      const stepButton = document.getElementById("step-through");
      const controls = document.getElementById("step-controls");

      function cells() { return [...main.querySelectorAll(".cell")]; }

      /// Shows the segments up to and including the shown-th cell, the prose before each step first.
      function applyStepping() {
        const shown = sessionStorage.getItem(key);
        const all = [...main.querySelectorAll(".segment, .add-cell")];
        if (shown === null) {
          for (const segment of all) segment.classList.remove("hidden-by-step");
          controls.hidden = true;
          stepButton.textContent = "Step through";
          return;
        }
        const limit = Number(shown), total = cells().length;
        let reached = 0;
        for (const segment of all) {
          const isCell = segment.classList.contains("cell");
          if (isCell) reached += 1;
          // A step shows with the prose before it; the prose after the last shown step waits.
          const hide = isCell ? reached > limit : reached >= limit && limit < total;
          segment.classList.toggle("hidden-by-step", hide);
        }
        controls.hidden = false;
        stepButton.textContent = "Show everything";
        document.getElementById("next-step").disabled = limit >= total;
      }

      function showPlace() {
        if (!progress) return;
        const list = cells();
        const shown = sessionStorage.getItem(key);
        let place = shown === null ? 0 : Number(shown);
        if (shown === null) {
          for (const [index, cell] of list.entries()) if (cell.getBoundingClientRect().top < window.innerHeight * 0.5) place = index + 1;
        }
        const stale = list.filter(cell => !cell.classList.contains("fresh")).length;
        progress.textContent = progressPrefix + ", step " + place + " of " + list.length
          + (stale > 0 ? " (" + stale + " not up to date)" : "");
      }

      stepButton.hidden = false;
      stepButton.addEventListener("click", () => {
        if (sessionStorage.getItem(key) === null) sessionStorage.setItem(key, "1"); else sessionStorage.removeItem(key);
        applyStepping();
        showPlace();
      });
      document.getElementById("next-step").addEventListener("click", () => {
        const next = Math.min(Number(sessionStorage.getItem(key) || "0") + 1, cells().length);
        sessionStorage.setItem(key, String(next));
        applyStepping();
        showPlace();
        const cell = cells()[next - 1];
        if (cell) cell.scrollIntoView({ block: "start", behavior: "smooth" });
      });
      document.getElementById("show-all").addEventListener("click", () => {
        sessionStorage.removeItem(key);
        applyStepping();
        showPlace();
      });
      window.addEventListener("scroll", () => showPlace(), { passive: true });

      wire(document);
      applyStepping();
      showPlace();
      follow();
    })();
    """#
}
