/**
 * The console's pages, rendered on the server from the texts catalog. Every value from a record, a user
 * or an agent goes through `html` (escaped); nothing here ever receives a secret: transcripts were redacted
 * at capture, phone and email arrive masked, and handoff codes are shown once, on the page that made them.
 */
import { t } from '../../catalog/catalog.ts';
import type { MessageKey } from '../../core/messages.ts';
import type { EscalationRecord } from '../escalations.ts';
import type { HandoffRecord, HandoffStatus } from '../handoffs.ts';
import type { HandoffLinks, HandoffTask } from '../service.ts';
import { type HtmlValue, html, type SafeHtml } from './html.ts';
import { consoleTexts as T } from './texts.ts';

export interface PageSession {
  readonly name: string;
  readonly csrf: string;
}

export interface Notice {
  readonly tone: 'ok' | 'bad' | 'info';
  readonly text: string;
}

/** A masked view of an account: never the full phone or email. */
export interface AccountSummary {
  readonly id: string;
  readonly phone: string;
  readonly email: string | null;
}

export interface EventLine {
  readonly at: number;
  readonly type: string;
  readonly channel: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19).concat(' UTC');

/** How long someone has waited, e.g. `4 min`, `2 h 5 min`. */
export function waited(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return T.time.seconds(seconds);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return T.time.minutes(minutes);
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return T.time.hours(hours, minutes % 60);
  return T.time.days(Math.floor(hours / 24), hours % 24);
}

export function statusLabel(status: HandoffStatus): string {
  return T.handoff.statuses[status];
}

function csrfField(session: PageSession): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${session.csrf}">`;
}

function noticeBlock(notice: Notice | undefined): HtmlValue {
  return notice ? html`<p class="notice ${notice.tone}" role="status">${notice.text}</p>` : null;
}

export function layout(options: {
  readonly title: string;
  readonly session?: PageSession;
  readonly notice?: Notice;
  readonly body: HtmlValue;
}): string {
  const { session } = options;
  const nav = session
    ? html`<nav aria-label="console"><a href="/console">${T.nav.escalations}</a></nav>
<nav><a href="/console/handoffs/new">${T.nav.newHandoff}</a></nav>
<span class="who">${T.nav.signedInAs(session.name)}</span>
<form method="post" action="/console/sign-out">${csrfField(session)}<button type="submit">${T.nav.signOut}</button></form>`
    : null;
  return html`<!doctype html>
<html lang="${T.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · ${T.brand}</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<header><span class="brand">${T.brand}</span>${nav}</header>
<main>
${noticeBlock(options.notice)}
${options.body}
</main>
</body>
</html>
`.value;
}

export function signInPage(csrf: string, notice?: Notice): string {
  return layout({
    title: T.signIn.title,
    ...(notice ? { notice } : {}),
    body: html`<section>
<h1>${T.signIn.title}</h1>
<p class="muted">${T.signIn.lead}</p>
<form method="post" action="/console/sign-in" autocomplete="off">
<input type="hidden" name="csrf" value="${csrf}">
<label for="key">${T.signIn.keyLabel}</label>
<input type="password" id="key" name="key" required maxlength="200" autocomplete="off" spellcheck="false">
<button type="submit">${T.signIn.submit}</button>
</form>
</section>`,
  });
}

export function taskTitle(tasks: readonly HandoffTask[], flowId: string | null): string {
  if (!flowId) return T.escalations.noTask;
  const task = tasks.find((one) => one.id === flowId);
  return task ? `${t('en', task.title)} (${flowId})` : flowId;
}

export function escalationsPage(options: {
  readonly session: PageSession;
  readonly list: readonly EscalationRecord[];
  readonly now: number;
  readonly tasks: readonly HandoffTask[];
  readonly notice?: Notice;
}): string {
  const { list, now, tasks } = options;
  const rows = list.map(
    (record) => html`<tr data-escalation="${record.id}">
<td><a href="/console/escalations/${record.id}">${record.id}</a></td>
<td>${iso(record.openedAt)}</td>
<td>${waited(now - record.openedAt)}</td>
<td>${taskTitle(tasks, record.flowId)}</td>
<td class="mono">${record.step ?? T.escalations.noTask}</td>
<td>${record.chat.channel}</td>
<td>${record.reason}</td>
</tr>`,
  );
  return layout({
    title: T.escalations.title,
    session: options.session,
    ...(options.notice ? { notice: options.notice } : {}),
    body: html`<section>
<h1>${T.escalations.title}</h1>
${
  list.length === 0
    ? html`<p class="muted">${T.escalations.empty}</p>`
    : html`<table>
<thead><tr><th>${T.escalations.id}</th><th>${T.escalations.opened}</th><th>${T.escalations.waiting}</th><th>${T.escalations.task}</th><th>${T.escalations.step}</th><th>${T.escalations.channel}</th><th>${T.escalations.reason}</th></tr></thead>
<tbody>${rows}</tbody>
</table>`
}
</section>`,
  });
}

function taskOptions(tasks: readonly HandoffTask[], none?: string): SafeHtml {
  return html`${none ? html`<option value="">${none}</option>` : null}${tasks.map(
    (task) => html`<option value="${task.id}">${t('en', task.title)} (${task.id})</option>`,
  )}`;
}

function statusBadge(record: HandoffRecord): SafeHtml {
  return html`<span class="status" data-handoff="${record.id}" data-status="${record.status}">${statusLabel(record.status)}</span>`;
}

function handoffList(list: readonly HandoffRecord[], tasks: readonly HandoffTask[]): SafeHtml {
  if (list.length === 0) return html`<p class="muted">${T.escalation.handoffsEmpty}</p>`;
  return html`<ul class="handoffs">${list.map(
    (record) =>
      html`<li><code>${record.id}</code> · ${taskTitle(tasks, record.flowId)}<br>${statusBadge(record)} <span class="muted">${T.handoff.expiresAt} ${iso(record.expiresAt)}</span></li>`,
  )}</ul>`;
}

/** A bot line's English text, its placeholders (whose values were not kept) shown as an ellipsis. */
function botText(key: string): string {
  let template: string | undefined;
  try {
    template = t('en', key as MessageKey) as string | undefined;
  } catch {
    template = undefined;
  }
  if (template === undefined) return '';
  let out = '';
  let depth = 0;
  for (const c of template) {
    if (c === '{') {
      if (depth === 0) out += '…';
      depth += 1;
    } else if (c === '}') depth = Math.max(0, depth - 1);
    else if (depth === 0) out += c;
  }
  return out;
}

function transcriptLine(line: EscalationRecord['transcript'][number]): SafeHtml {
  const from = line.from === 'user' ? T.escalation.fromUser : T.escalation.fromBot;
  // Bot lines are catalog keys: shown with their English text (the values were not kept).
  const text =
    line.from === 'bot'
      ? html`${botText(line.text)} <code>${line.text}</code>`
      : html`<span class="mono">${line.text}</span>`;
  return html`<li class="${line.from}"><span class="from">${from}</span> <span class="muted">${iso(line.at)}</span><br>${text}</li>`;
}

export function escalationPage(options: {
  readonly session: PageSession;
  readonly record: EscalationRecord;
  readonly now: number;
  readonly account: AccountSummary | null;
  readonly events: readonly EventLine[];
  readonly handoffs: readonly HandoffRecord[];
  readonly tasks: readonly HandoffTask[];
  readonly canResolve: boolean;
  readonly canHandOff: boolean;
  readonly notice?: Notice;
  readonly created?: SafeHtml;
}): string {
  const { record, account, tasks, session } = options;
  const resolvedBy =
    record.resolvedBy === undefined
      ? null
      : record.resolvedBy.kind === 'key'
        ? record.resolvedBy.name
        : record.resolvedBy.kind;
  const resolveForm =
    record.status === 'open' && options.canResolve
      ? html`<section>
<h2>${T.escalation.resolve}</h2>
<p class="muted">${T.escalation.resolveLead}</p>
<form method="post" action="/console/escalations/${record.id}/resolve">
${csrfField(session)}
<label for="message">${T.escalation.message}</label>
<textarea id="message" name="message" maxlength="1000"></textarea>
${
  account && options.canHandOff
    ? html`<label for="flow">${T.escalation.handoffTask}</label>
<select id="flow" name="flow">${taskOptions(tasks, T.escalation.noHandoff)}</select>`
    : account
      ? null
      : html`<p class="muted">${T.escalation.noAccount}</p>`
}
<button type="submit">${T.escalation.resolveSubmit}</button>
</form>
</section>`
      : null;
  return layout({
    title: T.escalation.title(record.id),
    session,
    ...(options.notice ? { notice: options.notice } : {}),
    body: html`<h1>${T.escalation.title(record.id)}</h1>
${options.created ?? null}
<div class="grid">
<section>
<h2>${T.escalation.summary}</h2>
<dl>
<dt>${T.escalations.opened}</dt><dd>${iso(record.openedAt)}</dd>
<dt>${T.escalations.waiting}</dt><dd>${record.status === 'open' ? waited(options.now - record.openedAt) : '-'}</dd>
<dt>${T.escalations.task}</dt><dd>${taskTitle(tasks, record.flowId)}</dd>
<dt>${T.escalations.step}</dt><dd class="mono">${record.step ?? T.escalations.noTask}</dd>
<dt>${T.escalations.channel}</dt><dd>${record.chat.channel}</dd>
<dt>${T.escalations.reason}</dt><dd>${record.reason}</dd>
</dl>
${resolvedBy && record.resolvedAt ? html`<p class="notice ok">${T.escalation.resolvedBy(resolvedBy, iso(record.resolvedAt))}</p>` : null}
</section>
<section>
<h2>${T.escalation.account}</h2>
${
  account
    ? html`<dl>
<dt>${T.escalation.account}</dt><dd class="mono">${account.id}</dd>
<dt>${T.escalation.phone}</dt><dd class="mono" data-masked="phone">${account.phone}</dd>
<dt>${T.escalation.email}</dt><dd class="mono" data-masked="email">${account.email ?? T.escalation.none}</dd>
</dl>`
    : html`<p class="muted">${T.escalations.noAccount}</p>`
}
</section>
</div>
<section>
<h2>${T.escalation.transcript}</h2>
<p class="muted">${T.escalation.transcriptLead}</p>
${
  record.transcript.length === 0
    ? html`<p class="muted">${T.escalation.transcriptEmpty}</p>`
    : html`<ol class="transcript">${record.transcript.map(transcriptLine)}</ol>`
}
</section>
${resolveForm}
<div class="grid">
<section>
<h2>${T.escalation.events}</h2>
${
  options.events.length === 0
    ? html`<p class="muted">${T.escalation.eventsEmpty}</p>`
    : html`<table><tbody>${options.events.map(
        (event) =>
          html`<tr><td>${iso(event.at)}</td><td class="mono nowrap">${event.type}</td><td>${event.channel}</td></tr>`,
      )}</tbody></table>`
}
</section>
<section>
<h2>${T.escalation.handoffs}</h2>
${handoffList(options.handoffs, tasks)}
</section>
</div>`,
  });
}

/** The block that shows a new handoff's code (once): link, QR code, Discord command, live status. */
export function createdBlock(options: {
  readonly handoff: HandoffRecord;
  readonly links: HandoffLinks;
  readonly qrSvg: SafeHtml | null;
  readonly tasks: readonly HandoffTask[];
}): SafeHtml {
  const { handoff, links } = options;
  return html`<section class="created">
<h2>${T.handoff.createdTitle}</h2>
<p>${T.handoff.createdLead}</p>
<div class="grid">
<div>
<dl>
<dt>${T.handoff.id}</dt><dd class="mono">${handoff.id}</dd>
<dt>${T.handoff.task}</dt><dd>${taskTitle(options.tasks, handoff.flowId)}</dd>
<dt>${T.handoff.status}</dt><dd>${statusBadge(handoff)}</dd>
<dt>${T.handoff.expiresAt}</dt><dd>${iso(handoff.expiresAt)}</dd>
<dt>${T.handoff.telegram}</dt><dd>${
    links.telegramLink
      ? html`<a class="mono" id="telegram-link" href="${links.telegramLink}" rel="noreferrer noopener" target="_blank">${links.telegramLink}</a>`
      : html`<span class="muted">${T.handoff.telegramMissing}</span>`
  }</dd>
<dt>${T.handoff.discord}</dt><dd><code id="discord-command">${links.discordCommand}</code></dd>
<dt>${T.handoff.start}</dt><dd><code id="start-command">${links.startCommand}</code></dd>
</dl>
<p class="muted">${T.handoff.statusLive}</p>
<p class="muted">${T.handoff.shownOnce}</p>
</div>
${options.qrSvg ? html`<figure class="qr" role="img" aria-label="${T.handoff.qr}">${options.qrSvg}</figure>` : null}
</div>
</section>`;
}

export function newHandoffPage(options: {
  readonly session: PageSession;
  readonly tasks: readonly HandoffTask[];
  readonly query?: string;
  readonly found?: AccountSummary | null;
  readonly created?: SafeHtml;
  readonly notice?: Notice;
}): string {
  const { session, found } = options;
  return layout({
    title: T.handoff.newTitle,
    session,
    ...(options.notice ? { notice: options.notice } : {}),
    body: html`<h1>${T.handoff.newTitle}</h1>
${options.created ?? null}
<section>
<p class="muted">${T.handoff.searchLead}</p>
<form method="get" action="/console/handoffs/new">
<label for="q">${T.handoff.searchLabel}</label>
<input type="text" id="q" name="q" maxlength="254" value="${options.query ?? ''}" required spellcheck="false">
<button type="submit">${T.handoff.searchSubmit}</button>
</form>
${options.query !== undefined && found === null ? html`<p class="notice bad">${T.handoff.notFound}</p>` : null}
</section>
${
  found
    ? html`<section>
<h2>${T.handoff.found}</h2>
<dl>
<dt>${T.escalation.account}</dt><dd class="mono">${found.id}</dd>
<dt>${T.escalation.phone}</dt><dd class="mono">${found.phone}</dd>
<dt>${T.escalation.email}</dt><dd class="mono">${found.email ?? T.escalation.none}</dd>
</dl>
<form method="post" action="/console/handoffs">
${csrfField(session)}
<input type="hidden" name="account" value="${found.id}">
<label for="flow">${T.handoff.task}</label>
<select id="flow" name="flow" required>${taskOptions(options.tasks)}</select>
<label for="note">${T.handoff.note}</label>
<input type="text" id="note" name="note" maxlength="500">
<label for="expires">${T.handoff.expires}</label>
<input type="number" id="expires" name="expiresInMinutes" min="1" max="1440" value="30">
<button type="submit">${T.handoff.create}</button>
</form>
</section>`
    : null
}`,
  });
}

export function messagePage(options: {
  readonly title: string;
  readonly text: string;
  readonly session?: PageSession;
}): string {
  return layout({
    title: options.title,
    ...(options.session ? { session: options.session } : {}),
    body: html`<section><h1>${options.title}</h1><p>${options.text}</p><p><a href="/console">${T.errors.back}</a></p></section>`,
  });
}
