// @ts-check
// The demo page: two members side by side, each with their own copy of one workspace, kept
// in the page. Either can go offline; edits stay local until the two copies sync.

import init, { Identity, Workspace, isCercleError, syncInMemory } from "cercle/web";

await init();

/** @typedef {{ name: string, ws: Workspace, online: boolean, root: HTMLElement }} Member */

// The founder sets up the workspace, a group and a glossary; the second member takes a copy.
const patrick = Identity.generate();
const claire = Identity.generate();
const founder = Workspace.create(patrick, "Juste à temps");
founder.setDisplayName("Patrick");
founder.addMember(claire.memberId, "admin");
const team = founder.createGroup("Catalogue", { tags: ["catalogue"] });
founder.setGroupRole(team, claire.memberId, "member");
const glossary = founder.createGlossary(team, "Dictionnaire amoureux de la convivialité", { language: "fr" });
founder.commit();
const second = Workspace.load(claire, founder.save());
second.setDisplayName("Claire");
second.commit();

/** @type {Member[]} */
const members = [
  { name: "Patrick", ws: founder, online: true, root: document.body },
  { name: "Claire", ws: second, online: true, root: document.body },
];

/** @param {string} selector @param {ParentNode} root @returns {HTMLElement} */
function $(selector, root = document) {
  const el = root.querySelector(selector);
  if (!(el instanceof HTMLElement)) throw new Error(`missing ${selector}`);
  return el;
}

/** @param {string} tag @param {string} text @param {string} [className] */
function el(tag, text, className) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

/** @param {string} message */
function status(message) {
  $("#status").textContent = message;
}

/** Syncs every pair of online members. */
function syncOnline() {
  const online = members.filter((m) => m.online);
  for (let i = 0; i + 1 < online.length; i++) {
    const [a, b] = [online[i], online[i + 1]];
    if (a && b) syncInMemory(a.ws, b.ws);
  }
  render();
}

/** @param {Member} m */
function renderMember(m) {
  const { ws, root } = m;
  root.classList.toggle("offline", !m.online);
  $(".copy", root).textContent = `${ws.changeCount} changes · ${ws.hasUncommitted ? "editing" : "saved"} · heads ${ws.heads.map((h) => h.slice(0, 6)).join(", ")}`;
  const contacts = ws.contacts();
  const select = $("select", root);
  select.replaceChildren(...contacts.map((c) => Object.assign(el("option", c.displayName), { value: c.id })));
  const list = $(".contacts", root);
  list.replaceChildren(
    ...contacts.map((c) => {
      const item = el("li", `${c.displayName} `);
      item.dataset.contact = c.displayName;
      // Moving a contact along the pipeline records a status-change event on its timeline.
      const stage = document.createElement("select");
      stage.className = "stage";
      stage.setAttribute("aria-label", `stage of ${c.displayName}`);
      stage.append(...ws.pipeline.map((p) => Object.assign(el("option", p), { value: p, selected: p === c.stage })));
      stage.addEventListener("change", () => act(m, () => ws.setStage(c.id, stage.value)));
      item.append(stage);
      const timeline = el("ul", "");
      for (const e of ws.timeline(c.id)) {
        const names = ws.audience(e.id).map((id) => ws.displayName(id) ?? id.slice(0, 8));
        const line = el("li", `${e.kind}: ${e.title} `);
        line.dataset.event = e.title;
        line.append(el("span", `— audience: ${names.join(", ")}`, "audience"));
        timeline.append(line);
      }
      item.append(timeline);
      return item;
    }),
  );
  const entries = $(".entries", root);
  entries.replaceChildren(
    ...ws.entries(glossary).flatMap((e) => {
      const term = el("dt", e.term);
      term.dataset.term = e.term;
      const definition = el("dd", "");
      for (const sense of e.senses) {
        // Edit a definition in place: only what differs is sent, so concurrent edits to
        // other parts of the text survive the merge.
        const form = document.createElement("form");
        form.className = "edit-sense";
        const input = Object.assign(document.createElement("input"), { name: "definition", value: sense.definition });
        form.append(input, el("button", "Save"));
        form.addEventListener("submit", (event) => {
          event.preventDefault();
          act(m, () => ws.setText(sense.id, "definition", input.value));
        });
        definition.append(el("span", sense.definition, "definition"), form);
      }
      return [term, definition];
    }),
  );
}

function render() {
  members.forEach(renderMember);
  const [a, b] = members;
  const same = a && b && a.ws.heads.join() === b.ws.heads.join();
  status(same ? "the two copies are identical" : "the copies differ until they sync");
  document.body.dataset.converged = String(Boolean(same));
}

/** @param {Member} m @param {() => void} edit */
function act(m, edit) {
  try {
    edit();
    m.ws.commit();
  } catch (e) {
    status(isCercleError(e) ? `refused (${e.code}): ${e.message}` : String(e));
    m.ws.discard();
  }
  if (m.online) syncOnline();
  else render();
}

const template = /** @type {HTMLTemplateElement} */ ($("#member"));
for (const m of members) {
  const fragment = /** @type {DocumentFragment} */ (template.content.cloneNode(true));
  m.root = $(".member", fragment);
  m.root.dataset.member = m.name;
  $(".who", m.root).textContent = m.name;
  const toggle = /** @type {HTMLInputElement} */ ($(".online", m.root));
  toggle.addEventListener("change", () => {
    m.online = toggle.checked;
    if (m.online) syncOnline();
    else render();
  });
  /** @param {string} selector @param {(data: FormData) => void} handler */
  const onSubmit = (selector, handler) => {
    const form = /** @type {HTMLFormElement} */ ($(selector, m.root));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(form);
      act(m, () => handler(data));
      form.reset();
    });
  };
  const text = (/** @type {FormData} */ d, /** @type {string} */ k) => String(d.get(k) ?? "").trim();
  onSubmit(".add-contact", (d) => {
    m.ws.createContact(text(d, "name"), { groups: [team] });
  });
  onSubmit(".add-meeting", (d) => {
    const contact = text(d, "contact");
    m.ws.createEvent("meeting", text(d, "title"), {
      start: new Date(),
      contacts: contact ? [contact] : [],
      groups: [team],
      attendees: { [patrick.memberId]: "chair", [claire.memberId]: "required" },
    });
  });
  onSubmit(".add-entry", (d) => {
    m.ws.addEntry(glossary, text(d, "term"), { definition: text(d, "definition") });
  });
  $("#members").append(m.root);
}
$("#sync").addEventListener("click", () => {
  for (const m of members) {
    m.online = true;
    /** @type {HTMLInputElement} */ ($(".online", m.root)).checked = true;
  }
  syncOnline();
});
render();
document.body.dataset.ready = "true";
