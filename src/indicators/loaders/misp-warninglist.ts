/**
 * MISP warninglists (`{"name", "type", "list": [...]}`), meant for
 * `--allow`: `string` and `hostname` entries are values, `cidr` entries
 * networks; `substring` and `regex` entries are patterns, which only an
 * allowlist can use (an indicator load skips them with the reason). The
 * list is small by nature and its `type` may follow `list` (MISP sorts
 * keys), so values are collected before they are typed.
 */
import type { DeclaredType, RawEntry } from '../types.js';
import type { BadRecord, FeedReader } from './feed-reader.js';
import { asText, jsonItems } from './json-walk.js';

const DECLARED: Readonly<Record<string, DeclaredType | undefined>> = { string: undefined, hostname: 'domain-or-ip', cidr: 'ip' };

export const mispWarninglistReader: FeedReader = {
  name: 'misp-warninglist',
  position: 'entry',
  description: 'MISP warninglist JSON (string, hostname, cidr, substring, regex lists), for --allow',
  sniff: (head) => /"list"\s*:\s*\[/.test(head) && /"(matching_attributes|version)"\s*:/.test(head),
  async *read(chunks): AsyncGenerator<RawEntry | BadRecord> {
    const values: string[] = [];
    let type = 'string';
    let description: string | undefined;
    for await (const { path, value } of jsonItems(chunks, (p) => (p.length === 2 && p[0] === 'list') || (p.length === 1 && (p[0] === 'type' || p[0] === 'name')))) {
      if (path[0] === 'type') type = asText(value) ?? type;
      else if (path[0] === 'name') description = asText(value);
      else values.push(asText(value) ?? '');
    }
    const pattern = type === 'substring' || type === 'regex' ? type : undefined;
    if (!pattern && !(type in DECLARED)) {
      for (let i = 0; i < values.length; i++) yield { bad: true, line: i + 1, value: values[i] as string, reason: `warninglist type "${type}" is not supported` };
      return;
    }
    const declaredType = DECLARED[type];
    for (let i = 0; i < values.length; i++) {
      const value = values[i] as string;
      yield {
        value,
        line: i + 1,
        ...(pattern ? { pattern } : {}),
        ...(declaredType ? { declaredType } : {}),
        ...(description ? { description } : {}),
      };
    }
  },
};
