/* The action page: fill the letters rendered by `advocacy site` with what the resident types.
   No network, no storage: everything happens in this page. Text goes into the document only
   through textContent, so nothing typed is ever parsed as HTML. */
"use strict";

const DATA = JSON.parse(document.getElementById("site-data").textContent);
const S = DATA.strings;
const P = DATA.paragraphs;
const Q = DATA.quotes;
const FIELDS = DATA.fields;
const MARK = DATA.marker;
const MARKERS = new RegExp("[\\u" + MARK.toString(16) + "-\\u" + (MARK + FIELDS.length - 1).toString(16) + "]", "g");
const PLACEHOLDERS = {
  name: "[Your name]", street: "[Your street address]", city: "[City]", state: "[State]",
  zip: "[ZIP]", email: "[Your email]", district: "[Your district]", personal: "",
};
const PERSONAL = String.fromCharCode(MARK + FIELDS.indexOf("personal"));
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];

/* -- encoding: the same as advocacy/formats/mailto.py -------------------------------------- */

function hex(c) {
  return "%" + c.charCodeAt(0).toString(16).toUpperCase();
}

/* Percent-encode a value as RFC 6068 asks (Python's quote(text, safe="")), CRLF line breaks. */
function encodeValue(text) {
  const crlf = text.replace(/\r\n/g, "\n").replace(/\r/g, "\n").replace(/\n/g, "\r\n");
  return encodeURIComponent(wellFormed(crlf)).replace(/[!'()*]/g, hex);
}

/* Percent-encode an addr-spec (Python's quote(address, safe="@!$'*+;:")). */
function encodeAddress(address) {
  return encodeURIComponent(wellFormed(address))
    .replace(/[()]/g, hex)
    .replace(/%(40|24|2B|3B|3A)/g, (m, code) => String.fromCharCode(parseInt(code, 16)));
}

function wellFormed(text) {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    (m) => m.length === 2 ? m[0] + "\uFFFD" : "\uFFFD");
}

/* What Python's str.split() splits on. */
const SPACES = /[\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;

/* A value typed by the resident, cleaned as the tool cleans values (no marker characters, no
   line breaks) and with its spaces collapsed, as the tool does in a paragraph. */
function clean(value) {
  return value.replace(/[\uE000-\uE01F]/g, "").replace(MARKERS, "").replace(SPACES, " ")
    .replace(/^ | $/g, "");
}

/* -- the letter as text: the same as advocacy/formats/text.py email_text ------------------ */

function filler(values) {
  return (text) => text.replace(MARKERS, (m) => values[FIELDS[m.charCodeAt(0) - MARK]]);
}

function partsText(parts, fill) {
  return parts.map((p) => (p >= 0 ? fill(S[p]) : "[" + -p + "]")).join("");
}

function quotedText(parts, fill) {
  let end = parts.length;
  while (end > 0 && parts[end - 1] < 0) end -= 1;
  return "\u201c" + partsText(parts.slice(0, end), fill) + "\u201d" + partsText(parts.slice(end), fill);
}

/* One paragraph as the email body has it; `block` is an index or {text} (the cut notice). */
function blockText(block, fill) {
  if (typeof block !== "number") return block.text;
  const [kind, parts, items] = P[block];
  if (kind === "list") return items.map((item) => "- " + partsText(item, fill)).join("\n");
  if (kind === "quote") return "    " + quotedText(parts, fill);
  if (kind === "heading") return partsText(parts, fill).toUpperCase();
  return partsText(parts, fill);
}

function sourcesText(notes) {
  if (!notes.length) return [];
  return ["Sources\n" + notes.map(([n, q]) => "[" + n + "] " + Q[q][0]).join("\n")];
}

/* The email body: salutation, paragraphs, signature, (appendix,) sources. */
function emailText(L, fill, blocks, notes, appendix) {
  const parts = [fill(S[L[1]]), ...blocks.map((b) => blockText(b, fill)), fill(S[L[11]]),
    ...appendix.map((b) => blockText(b, fill)), ...sourcesText(notes)];
  return parts.join("\n\n") + "\n";
}

function fullText(L, fill) {
  return emailText(L, fill, L[2], L[5], L[3]);
}

function usedNotes(blocks, notes) {
  const used = new Set();
  for (const b of blocks) {
    const [, parts, items] = P[b];
    for (const p of [...parts, ...(items || []).flat()]) if (p < 0) used.add(-p);
  }
  return notes.filter(([n]) => used.has(n));
}

/* The link within `limit` characters: the short form, whole paragraphs dropped from the end
   (advocacy/formats/mailto.py mailto_link); `build(body)` makes the link, `bare` the last
   resort without a body. */
function guarded(L, fill, limit, build, bare, first) {
  if (first !== undefined) {
    const uri = build(first);
    if (uri.length <= limit) return { uri, shortened: false, short: false };
  }
  const blocks = L[6].slice();
  let uri = build(emailText(L, fill, blocks, L[7], []));
  if (uri.length <= limit) return { uri, shortened: false, short: true };
  while (blocks.length) {
    blocks.pop();
    const body = emailText(L, fill, [...blocks, { text: DATA.notice }], usedNotes(blocks, L[7]), []);
    uri = build(body);
    if (uri.length <= limit) return { uri, shortened: true, short: true };
  }
  return { uri: bare, shortened: true, short: true };
}

function mailtoLink(to, L, fill) {
  const subject = fill(S[L[0]]);
  const head = "mailto:" + encodeAddress(to) + "?subject=" + encodeValue(subject);
  return guarded(L, fill, DATA.limits.mailto, (body) => head + "&body=" + encodeValue(body), head);
}

function composeLink(base, keys, limit, to, L, fill) {
  const subject = fill(S[L[0]]);
  const head = base + keys[0] + "=" + encodeValue(to) + "&" + keys[1] + "=" + encodeValue(subject);
  const build = (body) => head + "&body=" + encodeValue(body);
  return guarded(L, fill, limit, build, head, fullText(L, fill));
}

/* -- .eml drafts --------------------------------------------------------------------------- */

function utf8(text) {
  return new TextEncoder().encode(wellFormed(text));
}

function base64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
  return btoa(binary);
}

/* A header value: as it is when printable ASCII, else RFC 2047 encoded words of <= 45 bytes,
   cut before a space where possible (readers join adjacent encoded words without one). */
function headerText(text) {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  const words = [];
  let chunk = "";
  for (const token of text.match(/\s*\S+|\s+/g) || [""]) {
    if (chunk && utf8(chunk + token).length > 45) {
      words.push(chunk);
      chunk = "";
    }
    for (const ch of token) {
      if (chunk && utf8(chunk + ch).length > 45) {
        words.push(chunk);
        chunk = "";
      }
      chunk += ch;
    }
  }
  words.push(chunk);
  return words.map((w) => "=?utf-8?B?" + base64(utf8(w)) + "?=").join("\r\n ");
}

function mailbox(name, email) {
  let display = headerText(name);
  if (display === name) display = '"' + name.replace(/["\\]/g, "\\$&") + '"';
  return display + " <" + email + ">";
}

const PLAIN_ADDRESS = /^[^\s<>()@,;:\\"[\]]+@[^\s<>()@,;:\\"[\]]+$/;

function emlText(official, L, fill, values) {
  const body = base64(utf8(fullText(L, fill).replace(/\n/g, "\r\n"))).replace(/.{76}/g, "$&\r\n");
  const headers = [];
  if (official.email) headers.push("To: " + mailbox(official.name, official.email));
  if (PLAIN_ADDRESS.test(values.email)) headers.push("From: " + mailbox(values.name, values.email));
  headers.push("Subject: " + headerText(fill(S[L[0]])), "X-Unsent: 1", "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64");
  return headers.join("\r\n") + "\r\n\r\n" + body.replace(/\r\n$/, "") + "\r\n";
}

/* -- the letter on screen and on paper ----------------------------------------------------- */

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null) node.append(child);
  return node;
}

function partsNodes(parts, fill) {
  return parts.map((p) => (p >= 0 ? document.createTextNode(fill(S[p])) : el("sup", { class: "note-ref", text: String(-p) })));
}

function paragraphNode(index, fill) {
  const [kind, parts, items] = P[index];
  if (kind === "list") return el("ul", {}, ...items.map((item) => el("li", {}, ...partsNodes(item, fill))));
  if (kind === "heading") return el("h4", {}, ...partsNodes(parts, fill));
  if (kind === "quote") return el("blockquote", {}, el("p", {}, ...partsNodes(parts, fill)));
  return el("p", {}, ...partsNodes(parts, fill));
}

function lines(cls, items, fill) {
  return el("address", { class: cls }, ...items.map((i) => el("span", { class: "line", text: fill(S[i]) })));
}

function today() {
  const d = new Date();
  return MONTHS[d.getMonth()] + " " + d.getDate() + ", " + d.getFullYear();
}

function letterNode(L, fill, id) {
  const notes = L[5].map(([n, q]) => el("li", {}, "[" + n + "] " + Q[q][0]));
  return el("article", { class: "letter", lang: "en", "aria-label": "Letter", id },
    el("header", { class: "letter-head" }, lines("sender", L[8], fill),
      el("p", { class: "date", text: today() }), lines("inside-address", L[9], fill)),
    el("p", { class: "subject" }, el("strong", { text: "Re:" }), " " + fill(S[L[0]])),
    el("p", { class: "salutation", text: fill(S[L[1]]) }),
    ...L[2].map((i) => paragraphNode(i, fill)),
    el("div", { class: "sign-off" }, el("p", { class: "closing", text: fill(S[L[4]]) }),
      el("div", { class: "signature-space" }),
      el("p", { class: "signature" }, ...L[10].map((i) => el("span", { class: "line", text: fill(S[i]) })))),
    L[3].length ? el("section", { class: "appendix" }, ...L[3].map((i) => paragraphNode(i, fill))) : null,
    notes.length ? el("section", { class: "sources" }, el("h4", { text: "Sources" }), el("ol", {}, ...notes)) : null);
}

/* -- choosing the city, the officials and the variant -------------------------------------- */

function key(text) {
  const words = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, " ").trim().split(" ");
  return words.map((w) => (w === "saint" ? "st" : w)).join(" ");
}

/* The cities `query` may mean: one exact match, else those whose name starts with it. */
function matchCities(query) {
  const wanted = key(query);
  if (!wanted) return [];
  const exact = DATA.cities.filter((c) => key(c.label) === wanted);
  if (exact.length === 1) return exact;
  const named = DATA.cities.filter((c) => c.key === wanted);
  if (named.length) return named;
  return DATA.cities.filter((c) => key(c.label).startsWith(wanted));
}

const form = document.getElementById("resident");
const search = document.getElementById("city-search");
const districtRow = document.getElementById("district-row");
const districtSelect = document.getElementById("district");
const cityStatus = document.getElementById("city-status");
const lettersStatus = document.getElementById("letters-status");
const list = document.getElementById("letter-list");
let city = null;
const cards = [];

function typed() {
  const values = {};
  for (const f of FIELDS) {
    if (f === "district") continue;
    values[f] = clean(document.getElementById("f-" + f).value);
  }
  const option = districtSelect.selectedOptions[0];
  values.district = districtSelect.value && option ? option.textContent : "";
  return values;
}

/* Where the resident lives, as advocacy/residency.py decides it: same city name (accents,
   case and "Saint" aside) and same state. */
function isResident(values) {
  return city !== null && key(values.city) === city.key && values.state === city.state;
}

/* Who the resident writes to, with which variant of each letter (site/letters.py). */
function recipients(values) {
  const resident = isResident(values);
  const namesake = !resident && key(values.city) === city.key && values.state !== "";
  const district = districtSelect.value;
  const chosen = [];
  for (const official of city.officials) {
    if (official.district) {
      if (resident && district && official.district === district) chosen.push([official, "d"]);
    } else if (resident) {
      chosen.push([official, district ? "d" : "r"]);
    } else {
      chosen.push([official, namesake ? "s" : "n"]);
    }
  }
  return chosen;
}

function chooseCity() {
  const matches = matchCities(search.value);
  const found = matches.length === 1 ? matches[0] : null;
  if (found === null) {
    let text = search.value.trim() ? "No city of the campaign matches; pick one from the list." : "";
    if (matches.length > 1) text = matches.length + " cities match: " + matches.slice(0, 5).map((c) => c.label).join("; ") + (matches.length > 5 ? "; ..." : "") + ".";
    if (cityStatus.textContent !== text) cityStatus.textContent = text;
  }
  if (found === city) return;
  city = found;
  districtSelect.replaceChildren(el("option", { value: "", text: "I don't know" }));
  if (city === null) {
    districtRow.hidden = true;
  } else {
    const tie = city.russian + ": " + city.status;
    cityStatus.replaceChildren(city.label + ", sister city " + tie + " (",
      el("a", { href: city.source, rel: "noreferrer", text: "source" }), ").");
    for (const [value, label] of city.districts) districtSelect.append(el("option", { value, text: label }));
    districtRow.hidden = city.districts.length === 0;
    const cityField = document.getElementById("f-city");
    const stateField = document.getElementById("f-state");
    if (!cityField.value) cityField.value = city.name;
    if (!stateField.value) stateField.value = city.state;
  }
}

function action(label, attrs) {
  return el("a", Object.assign({ class: "button" }, attrs), label);
}

function setLink(node, href, enabled) {
  if (enabled) {
    node.setAttribute("href", href);
    node.removeAttribute("aria-disabled");
  } else {
    node.removeAttribute("href");
    node.setAttribute("aria-disabled", "true");
  }
}

/* The letter of `variant`, with or without the resident's own paragraph. */
function letterFor(official, variant, personal) {
  const L = official.letters[variant];
  if (personal) return L;
  if (official.letters[variant + "0"]) return official.letters[variant + "0"];
  const keep = (i) => !(P[i][0] === "body" && P[i][1].length === 1 && S[P[i][1][0]] === PERSONAL);
  const bare = L.slice();
  for (const at of [2, 3, 6]) bare[at] = L[at].filter(keep);
  return bare;
}

let rendered = null;

/* Build the letters again when what they depend on changed (not on a mere change event: the
   button being clicked must stay in the page). */
function render() {
  const state = JSON.stringify([city && city.label, districtSelect.value, typed()]);
  if (state === rendered) return;
  rendered = state;
  list.replaceChildren();
  cards.length = 0;
  if (city === null) {
    lettersStatus.textContent = "Choose your city to see the letters.";
    return;
  }
  const values = typed();
  const complete = ["name", "street", "city", "state", "zip", "email"].every((f) => values[f]);
  const shown = {};
  for (const f of FIELDS) shown[f] = values[f] || PLACEHOLDERS[f];
  const fill = filler(shown);
  const chosen = recipients(values);
  let status = chosen.length + " letter" + (chosen.length === 1 ? "" : "s") + " to " + city.label + ".";
  if (!city.officials.length) status = "We have no contact on record for " + city.label + "'s officials yet.";
  else if (!isResident(values) && values.city) status += " You do not live in " + city.name + ", so the letters say so, and go to the mayor and the members elected by the whole city.";
  if (!complete) status += " Fill in your name, address and email to send them.";
  if (lettersStatus.textContent !== status) lettersStatus.textContent = status; // announce changes only
  chosen.forEach(([official, variant], index) => {
    const L = letterFor(official, variant, values.personal !== "");
    const id = "letter-" + index;
    const card = { official, L, fill, values: shown, complete, id };
    const title = official.title + (official.district ? ", " + official.district_label : "");
    const mail = action("Open in my mail app", { "data-act": "mailto" });
    const gmail = action("Gmail", { "data-act": "gmail", target: "_blank", rel: "noopener noreferrer" });
    const outlook = action("Outlook", { "data-act": "outlook", target: "_blank", rel: "noopener noreferrer" });
    const notes = [];
    if (official.email) {
      const m = mailtoLink(official.email, L, fill);
      setLink(mail, m.uri, complete);
      if (m.shortened) notes.push("The mail-app link carries a shortened letter (links hold at most " + DATA.limits.mailto + " characters): copy the full letter or attach the .eml or PDF.");
      else notes.push("The mail-app link carries the short form of the letter; copy the full letter if you prefer it.");
      const g = composeLink("https://mail.google.com/mail/?view=cm&fs=1&", ["to", "su"], DATA.limits.gmail, official.email, L, fill);
      setLink(gmail, g.uri, complete);
      const o = composeLink("https://outlook.office.com/mail/deeplink/compose?", ["to", "subject"], DATA.limits.outlook, official.email, L, fill);
      setLink(outlook, o.uri, complete);
      if (o.short) notes.push("Outlook links hold at most " + DATA.limits.outlook + " characters: the Outlook link carries the short form.");
    } else {
      for (const node of [mail, gmail, outlook]) setLink(node, "", false);
      notes.push("No email address on record: print the letter and mail it.");
    }
    const buttons = [["Copy the letter", "copy"], ["Download .eml", "eml"], ["Print or save as PDF", "print"]]
      .map(([label, act]) => el("button", { type: "button", "data-act": act, "data-card": String(index) }, label));
    if (!official.email) buttons[1].disabled = true;
    if (!complete) for (const b of buttons) b.disabled = true;
    const feedback = el("p", { class: "status", role: "status", "aria-live": "polite" });
    card.feedback = feedback;
    cards.push(card);
    list.append(el("section", { class: "official", "aria-labelledby": id + "-title", "data-official": official.name },
      el("h3", { id: id + "-title", class: "no-print" }, "To " + official.name + ", " + title),
      el("p", { class: "who no-print", text: official.email ? "Email: " + official.email : "No email address on record." }),
      el("div", { class: "actions no-print" }, mail, gmail, outlook, ...buttons),
      ...notes.map((n) => el("p", { class: "help no-print", text: n })),
      feedback,
      letterNode(L, fill, id)));
  });
}

function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const area = el("textarea", { class: "offscreen", "aria-hidden": "true" });
  area.value = text;
  document.body.append(area);
  area.select();
  const done = document.execCommand("copy");
  area.remove();
  return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
}

function slug(text) {
  return key(text).replace(/ /g, "-") || "letter";
}

list.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-act]");
  if (!button) return;
  const card = cards[Number(button.dataset.card)];
  const act = button.dataset.act;
  if (act === "copy") {
    const text = "Subject: " + card.fill(S[card.L[0]]) + "\n\n" + fullText(card.L, card.fill);
    copyText(text).then(() => { card.feedback.textContent = "Copied. Paste it into a new email."; },
      () => { card.feedback.textContent = "Your browser did not allow copying; select the letter below instead."; });
  } else if (act === "eml") {
    const blob = new Blob([emlText(card.official, card.L, card.fill, card.values)], { type: "message/rfc822" });
    const link = el("a", { href: URL.createObjectURL(blob), download: slug(card.official.name) + ".eml", class: "offscreen" });
    document.body.append(link);
    link.click();
    link.remove();
    card.feedback.textContent = "Downloaded. Open the .eml file with your mail program, check it and send it.";
  } else if (act === "print") {
    document.body.classList.add("print-one");
    for (const node of document.querySelectorAll(".official")) node.classList.remove("print-this");
    document.getElementById(card.id).closest(".official").classList.add("print-this");
    window.print();
  }
});

window.addEventListener("afterprint", () => document.body.classList.remove("print-one"));
search.addEventListener("input", chooseCity); // the form's listener renders after it
search.addEventListener("change", () => { chooseCity(); render(); });
form.addEventListener("input", render);
form.addEventListener("change", render); // a select may report only a change
form.addEventListener("submit", (event) => event.preventDefault());
chooseCity();
render();

/* For the tests and for anyone checking the encoders from the console. */
window.advocacySite = { encodeValue, encodeAddress, fullText, emailText };
