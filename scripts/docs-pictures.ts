/**
 * `npm run docs:pictures`: redraws docs/img/notify-*.png, the same sample digest as each
 * destination shows it, in Debian's headless Chromium. Teams: the card drawn by the
 * `adaptivecards` package. Slack: an HTML approximation of the Block Kit message. E-mail: the SNS
 * text. Alertmanager: the alert groups a real Alertmanager (Debian's) answers after the post.
 */
import { mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { type PostableAlert, renderAlertmanager } from '../lib/notify/render/alertmanager';
import { render } from '../lib/notify/render/index';
import type { SlackMessage } from '../lib/notify/render/slack';
import type { TeamsMessage } from '../lib/notify/render/teams';
import { escapeHtml } from '../lib/notify/text';
import { alertmanagerConfig, startAlertmanager } from '../test/helpers/alertmanager';
import { launchChromium } from '../test/helpers/browser';
import { observedAt, sampleDigest } from '../test/notify/render/sample-digest';

const OUT = fileURLToPath(new URL('../docs/img/', import.meta.url));
/** Fewer lines than the default 20 keep the pictures readable; everything else is as sent. */
const MAX_LINES = 6;
const WIDTH = 760;
const require = createRequire(import.meta.url);

const page = (title: string, style: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>body{margin:0;padding:16px;background:#f5f5f5;font:14px/1.45 system-ui,"Segoe UI","DejaVu Sans","WenQuanYi Micro Hei",sans-serif}${style}</style></head><body>${body}</body></html>`;

/** Slack draws its emoji as images; the picture draws look-alikes so it needs no emoji font. */
const dot = (color: string) => `<span class="e" style="color:${color}">●</span>`;
const badge = (text: string, color: string) => `<span class="b" style="background:${color}">${text}</span>`;
const EMOJI: Record<string, string> = {
  red_circle: dot('#dd2e44'),
  large_orange_circle: dot('#f4900c'),
  white_circle: dot('#ccd6dd'),
  large_green_circle: dot('#78b159'),
  new: badge('NEW', '#3b88c3'),
  arrow_double_up: badge('⇑', '#3b88c3'),
  arrow_down_small: badge('↓', '#3b88c3'),
  repeat: badge('↻', '#3b88c3'),
  white_check_mark: badge('✓', '#78b159'),
  warning: '<span class="e" style="color:#ffcc4d">▲</span>',
  moneybag: '<span class="e">¤</span>',
};

/** Slack mrkdwn as HTML, for the picture only. The text is already Slack-escaped, so the only tags are the links the renderer wrote. */
function mrkdwnToHtml(text: string): string {
  return text
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, (_m, url: string, label: string) => `<a href="${url}">${label}</a>`)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*([^*\n]+)\*/g, '<b>$1</b>')
    .replace(/:([a-z_]+):/g, (m, name: string) => EMOJI[name] ?? m)
    .replace(/\n/g, '<br>');
}

function slackHtml(message: SlackMessage): string {
  const blocks = message.blocks
    .map((b) => {
      const any = b as { type: string; text?: { text: string }; elements?: { text: string }[] };
      if (any.type === 'header') return `<div class="h">${escapeHtml(any.text?.text ?? '')}</div>`;
      if (any.type === 'section') return `<div class="s">${mrkdwnToHtml(any.text?.text ?? '')}</div>`;
      if (any.type === 'context')
        return `<div class="c">${(any.elements ?? []).map((e) => mrkdwnToHtml(e.text)).join(' ')}</div>`;
      if (any.type === 'divider') return '<hr>';
      return '';
    })
    .join('');
  const style =
    '.msg{background:#fff;border-radius:8px;padding:14px 18px;display:flex;gap:10px;box-shadow:0 1px 3px #0002;font-family:Lato,"Noto Sans",system-ui,sans-serif}.av{width:36px;height:36px;border-radius:6px;background:#2f6f5e;color:#fff;font-weight:700;display:flex;align-items:center;justify-content:center;flex:none}.who b{font-weight:900}.who span{font-size:11px;background:#eee;color:#555;padding:0 3px;border-radius:2px;margin-left:4px}.who i{color:#777;font-style:normal;font-size:12px;margin-left:6px}.h{font-size:17px;font-weight:900;margin:6px 0}.s{margin:8px 0}.c{color:#616061;font-size:12.5px;margin:6px 0}code{color:#c01343;background:#f6f6f6;border:1px solid #ddd;border-radius:3px;padding:0 3px;font-size:12px}a{color:#1264a3;text-decoration:none}hr{border:0;border-top:1px solid #ddd;margin:10px 0}.e{font-size:13px}.b{color:#fff;font-size:9px;font-weight:700;border-radius:3px;padding:1px 3px;vertical-align:1px}.note{color:#888;font-size:11px;margin-top:8px}';
  return page(
    'Slack',
    style,
    `<div class="msg"><div class="av">EVS</div><div><div class="who"><b>EVS Snapshot Sentinel</b><span>APP</span><i>09:15</i></div>${blocks}</div></div><div class="note">An approximation of how Slack draws this Block Kit message (HTML drawn from the blocks as sent).</div>`,
  );
}

async function teamsPicture(browser: Page, message: TeamsMessage): Promise<void> {
  const style =
    '.frame{background:#fff;border-radius:6px;box-shadow:0 1px 3px #0003;padding:4px;font-family:"Segoe UI",system-ui,sans-serif}.who{font-size:12px;color:#616161;padding:8px 12px 0}.who b{color:#242424}.note{color:#888;font-size:11px;margin-top:8px}';
  await browser.setContent(
    page(
      'Teams',
      style,
      `<div class="frame"><div class="who"><b>EVS Snapshot Sentinel</b> via Workflows · 09:15</div><div id="card"></div></div><div class="note">Drawn by the adaptivecards package (default host config, a CommonMark-subset markdown step).</div>`,
    ),
  );
  await browser.addStyleTag({ path: require.resolve('adaptivecards/dist/adaptivecards.css') });
  await browser.addScriptTag({ path: require.resolve('adaptivecards/dist/adaptivecards.js') });
  // A plain script, not a function: tsx would add helpers to a function that the page does not have.
  // Teams draws bold, italic and links, and honours backslash escapes; the markdown step does the same for the picture.
  await browser.addScriptTag({
    content: `
      var AC = window.AdaptiveCards;
      AC.AdaptiveCard.onProcessMarkdown = function (text, result) {
        var esc = function (s) { return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'); };
        var held = [];
        var t = text.replace(/\\\\([\\\\\`*_[\\]()~#+\\-.!|{}])/g, function (m, c) { held.push(c); return '\\u0001' + (held.length - 1) + '\\u0001'; });
        t = esc(t)
          .replace(/\\*\\*([^*]+)\\*\\*/g, '<strong>$1</strong>')
          .replace(/(^|\\W)_([^_]+)_(?=\\W|$)/g, '$1<em>$2</em>')
          .replace(/\\[([^\\]]+)\\]\\(([^)]+)\\)/g, '<a href="$2">$1</a>');
        result.outputHtml = t.replace(/\\u0001(\\d+)\\u0001/g, function (m, i) { return esc(held[Number(i)] || ''); });
        result.didProcess = true;
      };
      var adaptive = new AC.AdaptiveCard();
      adaptive.hostConfig = new AC.HostConfig({ fontFamily: '"Segoe UI", system-ui, sans-serif' });
      adaptive.parse(${JSON.stringify(message.attachments[0].content).replace(/</g, '\\u003c')});
      document.getElementById('card').appendChild(adaptive.render());
    `,
  });
}

function emailHtml(subject: string, text: string): string {
  const style =
    '.mail{background:#fff;border-radius:6px;box-shadow:0 1px 3px #0003;padding:16px 20px}.hd{border-bottom:1px solid #e5e5e5;padding-bottom:10px;margin-bottom:12px;color:#444;font-size:13px}.hd .subj{font-size:18px;color:#202124;margin-bottom:6px}pre{margin:0;white-space:pre-wrap;font:12.5px/1.45 "DejaVu Sans Mono",monospace;color:#202124}';
  return page(
    'E-mail',
    style,
    `<div class="mail"><div class="hd"><div class="subj">${escapeHtml(subject)}</div>From: AWS Notifications &lt;no-reply@sns.amazonaws.com&gt; · to the SNS topic's e-mail subscribers</div><pre>${escapeHtml(text)}</pre></div>`,
  );
}

interface Group {
  labels: Record<string, string>;
  alerts: { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string }[];
}

function alertmanagerHtml(groups: Group[], url: string): string {
  const chip = (k: string, v: string) => `<span class="chip">${escapeHtml(k)}="${escapeHtml(v)}"</span>`;
  const shown = ['severity', 'finding_type', 'snapshot_id', 'owner', 'target'];
  const body = groups
    .map((g) => {
      const alerts = g.alerts
        .slice(0, 4)
        .map(
          (a) =>
            `<div class="alert"><div class="t">${escapeHtml(a.startsAt.slice(0, 16).replace('T', ' '))} <b>${escapeHtml(a.labels.alertname ?? '')}</b> ${escapeHtml(a.annotations.summary ?? '')}</div>${shown
              .filter((k) => a.labels[k])
              .map((k) => chip(k, a.labels[k] ?? ''))
              .join('')}</div>`,
        )
        .join('');
      const more =
        g.alerts.length > 4 ? `<div class="more">+ ${g.alerts.length - 4} more alerts in this group</div>` : '';
      return `<div class="group"><div class="gh">${Object.entries(g.labels)
        .map(([k, v]) => chip(k, v))
        .join(
          '',
        )} <span class="n">${g.alerts.length} alert${g.alerts.length === 1 ? '' : 's'}</span></div>${alerts}${more}</div>`;
    })
    .join('');
  const style =
    '.bar{background:#343a40;color:#fff;padding:10px 14px;border-radius:6px 6px 0 0;font-weight:600}.box{background:#fff;border-radius:0 0 6px 6px;box-shadow:0 1px 3px #0003;padding:10px 14px}.group{border:1px solid #dee2e6;border-radius:4px;margin:10px 0;padding:8px}.gh{margin-bottom:6px}.n{color:#6c757d;font-size:12px;margin-left:6px}.alert{border-top:1px solid #eee;padding:6px 0}.t{font-size:13px;margin-bottom:4px}.chip{display:inline-block;background:#e9ecef;border-radius:3px;padding:1px 6px;margin:2px 4px 2px 0;font-size:12px;font-family:"DejaVu Sans Mono",monospace}.gh .chip{background:#007bff;color:#fff}.more{color:#6c757d;font-size:12px}.note{color:#888;font-size:11px;margin-top:8px}';
  return page(
    'Alertmanager',
    style,
    `<div class="bar">Alertmanager · Alerts (grouped by project_id)</div><div class="box">${body}</div><div class="note">The alert groups Debian's Alertmanager ${escapeHtml(url.replace(/^http:\/\/127\.0\.0\.1:\d+/, ''))} answered at GET /api/v2/alerts/groups after the post, drawn in the layout of its web UI (Debian's package ships without the UI).</div>`,
  );
}

async function shoot(p: Page, name: string): Promise<void> {
  const path = `${OUT}${name}`;
  await p.screenshot({ path, fullPage: true });
  const kb = Math.round(statSync(path).size / 1024);
  console.log(`${path}: ${kb} KB`);
  if (kb >= 200) throw new Error(`${name} is ${kb} KB; keep pictures under 200 KB`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const digest = sampleDigest();
  const browser = await launchChromium();
  const am = await startAlertmanager(alertmanagerConfig());
  try {
    const p = await browser.newPage({ viewport: { width: WIDTH, height: 400 }, deviceScaleFactor: 1 });

    const slack = render('slack', digest, { maxLines: MAX_LINES });
    await p.setContent(slackHtml((slack as { body: SlackMessage }).body));
    await shoot(p, 'notify-slack.png');

    const teams = render('teams', digest, { maxLines: MAX_LINES });
    await teamsPicture(p, (teams as { body: TeamsMessage }).body);
    await shoot(p, 'notify-teams.png');

    const sns = render('sns', digest, { maxLines: MAX_LINES });
    if (sns.kind !== 'sns') throw new Error('expected an SNS message');
    await p.setContent(emailHtml(sns.subject, sns.message));
    await shoot(p, 'notify-email.png');

    const alerts: PostableAlert[] = renderAlertmanager(observedAt(digest, new Date()));
    const posted = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    if (!posted.ok) throw new Error(`Alertmanager answered ${posted.status} to the post`);
    const groups = (await (await fetch(`${am.url}/api/v2/alerts/groups`)).json()) as Group[];
    await p.setContent(alertmanagerHtml(groups, am.url));
    await shoot(p, 'notify-alertmanager.png');
  } finally {
    await am.stop();
    await browser.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
