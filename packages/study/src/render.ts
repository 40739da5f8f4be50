/** A report block: heading, paragraph, table or SVG figure. Rendered to Markdown and to HTML. */
export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; id: string; caption: string; header: string[]; rows: string[][]; note?: string }
  | { kind: 'figure'; id: string; caption: string; svg: string };

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Markdown: figures become `![caption](plots/<id>.svg)` links (the SVG files are written beside it). */
export function renderMarkdown(blocks: readonly Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'heading':
        out.push(`${'#'.repeat(b.level)} ${b.text}`);
        break;
      case 'paragraph':
        out.push(b.text);
        break;
      case 'list':
        out.push(b.items.map((i) => `- ${i}`).join('\n'));
        break;
      case 'table':
        out.push(
          [
            `**${mdCell(b.caption)}**`,
            '',
            `| ${b.header.map(mdCell).join(' | ')} |`,
            `| ${b.header.map(() => '---').join(' | ')} |`,
            ...b.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
            ...(b.note ? ['', b.note] : []),
          ].join('\n'),
        );
        break;
      case 'figure':
        out.push(`![${b.caption}](plots/${b.id}.svg)`);
        break;
    }
  }
  return `${out.join('\n\n')}\n`;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// Minimal inline Markdown used in report text: **bold** and `code`.
function inline(s: string): string {
  return escapeHtml(s)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>');
}

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 14px; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f3f3f3; }
figure { margin: 1em 0 2em; }
figcaption { font-size: 13px; color: #555; }
.note { font-size: 13px; color: #555; margin-top: -1em; }
code { background: #f3f3f3; padding: 0 0.2em; }
`;

// SVGs from Vega carry an XML prolog in some versions; inline SVG must not.
function inlineSvg(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '');
}

/** A self-contained HTML page: inline CSS and SVG, no scripts, no network. */
export function renderHtml(title: string, blocks: readonly Block[]): string {
  const body: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'heading':
        body.push(`<h${b.level}>${inline(b.text)}</h${b.level}>`);
        break;
      case 'paragraph':
        body.push(`<p>${inline(b.text)}</p>`);
        break;
      case 'list':
        body.push(`<ul>${b.items.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>`);
        break;
      case 'table':
        body.push(
          [
            `<table id="${escapeHtml(b.id)}" data-report-table>`,
            `<caption>${inline(b.caption)}</caption>`,
            `<thead><tr>${b.header.map((h) => `<th>${inline(h)}</th>`).join('')}</tr></thead>`,
            `<tbody>${b.rows.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody>`,
            '</table>',
            ...(b.note ? [`<p class="note">${inline(b.note)}</p>`] : []),
          ].join('\n'),
        );
        break;
      case 'figure':
        body.push(
          `<figure id="${escapeHtml(b.id)}">${inlineSvg(b.svg)}<figcaption>${inline(b.caption)}</figcaption></figure>`,
        );
        break;
    }
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">',
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>`,
    `<body>\n${body.join('\n')}\n</body></html>`,
    '',
  ].join('\n');
}
