/**
 * Shell completion scripts (`iochunt completion bash|zsh|fish`), generated
 * from the commander program itself: every command, option and argument the
 * program defines is completed, so the scripts cannot drift from the CLI.
 * Option values named FILE complete file names, DIR directory names, and
 * arguments with choices (the SHELL of `completion`) their choices.
 */
import type { Command, Option } from 'commander';

/** Shells with a completion script. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

type ValueKind = { kind: 'none' } | { kind: 'file' } | { kind: 'dir' } | { kind: 'choices'; choices: readonly string[] } | { kind: 'other' };

interface OptionSpec {
  readonly short?: string;
  readonly long?: string;
  readonly description: string;
  readonly value: ValueKind;
}

interface CommandSpec {
  /** Space-separated path from the program name, e.g. `iochunt iocs stats`. */
  readonly path: string;
  readonly name: string;
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  readonly subcommands: readonly CommandSpec[];
  /** What the positional arguments complete. */
  readonly args: ValueKind;
}

function valueOf(flagsOrName: string, choices: readonly string[] | undefined, takesValue: boolean): ValueKind {
  if (!takesValue) return { kind: 'none' };
  if (choices && choices.length > 0) return { kind: 'choices', choices };
  if (/\bDIR\b/.test(flagsOrName)) return { kind: 'dir' };
  if (/\b(FILE|PATH)\b/.test(flagsOrName)) return { kind: 'file' };
  return { kind: 'other' };
}

function firstSentence(text: string): string {
  const s = text.split(/(?<=[.;])\s/)[0] ?? text;
  return s.replace(/[.;]$/, '');
}

function optionSpec(o: Option): OptionSpec {
  return {
    ...(o.short ? { short: o.short } : {}),
    ...(o.long ? { long: o.long } : {}),
    description: firstSentence(o.description),
    value: valueOf(o.flags, o.argChoices, o.required || o.optional),
  };
}

function commandSpec(cmd: Command, parent: string | undefined): CommandSpec {
  const path = parent === undefined ? cmd.name() : `${parent} ${cmd.name()}`;
  const visible = cmd.options.filter((o) => !o.hidden).map(optionSpec);
  const help: OptionSpec = { short: '-h', long: '--help', description: 'display help', value: { kind: 'none' } };
  const args = cmd.registeredArguments;
  const first = args[0];
  return {
    path,
    name: cmd.name(),
    summary: firstSentence(cmd.summary() || cmd.description()),
    options: [...visible, help],
    subcommands: cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden).map((c) => commandSpec(c, path)),
    args: first ? valueOf(first.name().toUpperCase(), first.argChoices, true) : { kind: 'none' },
  };
}

function allCommands(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(allCommands)];
}

function flags(o: OptionSpec): string[] {
  return [o.short, o.long].filter((f): f is string => f !== undefined);
}

/** The completion script of `program` for `shell`. */
export function completionScript(program: Command, shell: CompletionShell): string {
  const root = commandSpec(program, undefined);
  if (shell === 'bash') return bash(root);
  if (shell === 'zsh') return zsh(root);
  return fish(root);
}

/** `case` arms that follow subcommand words from the program name to the command being typed. */
function pathArms(root: CommandSpec, indent: string, set: (path: string) => string): string {
  return allCommands(root)
    .flatMap((c) => c.subcommands.map((s) => `${indent}"${c.path} ${s.name}") ${set(s.path)} ;;`))
    .join('\n');
}

function bash(root: CommandSpec): string {
  const name = root.name;
  const arms = allCommands(root).map((c) => {
    const fileOpts = c.options.filter((o) => o.value.kind === 'file').flatMap(flags);
    const dirOpts = c.options.filter((o) => o.value.kind === 'dir').flatMap(flags);
    const otherOpts = c.options.filter((o) => o.value.kind === 'other' || o.value.kind === 'choices').flatMap(flags);
    const words = c.options.flatMap(flags).join(' ');
    const lines = [`    "${c.path}")`];
    if (fileOpts.length + dirOpts.length + otherOpts.length > 0) {
      lines.push('      case "$prev" in');
      if (fileOpts.length) lines.push(`        ${fileOpts.join('|')}) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;`);
      if (dirOpts.length) lines.push(`        ${dirOpts.join('|')}) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;`);
      if (otherOpts.length) lines.push(`        ${otherOpts.join('|')}) return ;;`);
      lines.push('      esac');
    }
    lines.push(`      if [[ "$cur" == -* ]]; then mapfile -t COMPREPLY < <(compgen -W "${words}" -- "$cur"); return; fi`);
    if (c.subcommands.length > 0) {
      lines.push(`      mapfile -t COMPREPLY < <(compgen -W "${c.subcommands.map((s) => s.name).join(' ')}" -- "$cur")`);
    } else if (c.args.kind === 'file') {
      lines.push('      mapfile -t COMPREPLY < <(compgen -f -- "$cur")');
    } else if (c.args.kind === 'choices') {
      lines.push(`      mapfile -t COMPREPLY < <(compgen -W "${c.args.choices.join(' ')}" -- "$cur")`);
    }
    lines.push('      ;;');
    return lines.join('\n');
  });
  return `# bash completion for ${name}; generated by \`${name} completion bash\`.
# Load it in this shell with:  source <(${name} completion bash)
# or install it:  ${name} completion bash > ~/.local/share/bash-completion/completions/${name}
_${name}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local prev=""
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="${name}" i
  for (( i = 1; i < COMP_CWORD; i++ )); do
    case "$cmd \${COMP_WORDS[i]}" in
${pathArms(root, '      ', (p) => `cmd="${p}"`)}
    esac
  done
  COMPREPLY=()
  case "$cmd" in
${arms.join('\n')}
  esac
}
complete -o filenames -F _${name} ${name}
`;
}

/** Text for a single-quoted zsh string inside an _arguments spec or a _describe entry. */
function zshText(s: string): string {
  return s.replace(/\\/g, '').replace(/'/g, '’').replace(/\[/g, '(').replace(/\]/g, ')').replace(/:/g, '\\:');
}

function zshAction(v: ValueKind, label: string): string {
  if (v.kind === 'file') return `:${label}:_files`;
  if (v.kind === 'dir') return `:${label}:_files -/`;
  if (v.kind === 'choices') return `:${label}:(${v.choices.join(' ')})`;
  if (v.kind === 'other') return `:${label}: `;
  return '';
}

function zsh(root: CommandSpec): string {
  const name = root.name;
  const arms = allCommands(root).map((c) => {
    const specs = c.options.flatMap((o) => flags(o).map((f) => `'*${f}[${zshText(o.description)}]${zshAction(o.value, 'value')}'`));
    if (c.subcommands.length > 0) {
      const entries = c.subcommands.map((s) => `'${s.name}:${zshText(s.summary)}'`).join(' ');
      return `    "${c.path}")
      if (( CURRENT == 2 )) && [[ "\${words[CURRENT]}" != -* ]]; then
        local -a commands=(${entries})
        _describe command commands
      else
        _arguments -s ${specs.join(' \\\n          ')}
      fi
      ;;`;
    }
    if (c.args.kind !== 'none') specs.push(`'*${zshAction(c.args, 'argument')}'`);
    return `    "${c.path}")
      _arguments -s ${specs.join(' \\\n        ')}
      ;;`;
  });
  return `#compdef ${name}
# zsh completion for ${name}; generated by \`${name} completion zsh\`.
# Install it as _${name} in a folder of $fpath, e.g.:  ${name} completion zsh > ~/.zfunc/_${name}
_${name}() {
  local cmd="${name}" i start=1
  for (( i = 2; i < CURRENT; i++ )); do
    case "$cmd \${words[i]}" in
${pathArms(root, '      ', (p) => `cmd="${p}"; start=$i`)}
    esac
  done
  # From here on the command being typed is the first word.
  words=("\${(@)words[start,-1]}")
  (( CURRENT -= start - 1 ))
  case "$cmd" in
${arms.join('\n')}
  esac
}
if [[ "$funcstack[1]" == "_${name}" ]]; then _${name} "$@"; else compdef _${name} ${name}; fi
`;
}

function fishText(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function fish(root: CommandSpec): string {
  const name = root.name;
  const lines: string[] = [];
  for (const c of allCommands(root)) {
    const when = `-n ${fishText(`__${name}_is '${c.path}'`)}`;
    for (const s of c.subcommands) lines.push(`complete -c ${name} ${when} -a ${fishText(s.name)} -d ${fishText(s.summary)}`);
    for (const o of c.options) {
      const parts = [`complete -c ${name} ${when}`];
      if (o.short) parts.push(`-s ${o.short.slice(1)}`);
      if (o.long) parts.push(`-l ${o.long.slice(2)}`);
      if (o.value.kind === 'file') parts.push('-r -F');
      else if (o.value.kind === 'dir') parts.push(`-x -a '(__fish_complete_directories)'`);
      else if (o.value.kind === 'choices') parts.push(`-x -a ${fishText(o.value.choices.join(' '))}`);
      else if (o.value.kind === 'other') parts.push('-x');
      parts.push(`-d ${fishText(o.description)}`);
      lines.push(parts.join(' '));
    }
    if (c.subcommands.length === 0 && c.args.kind === 'file') lines.push(`complete -c ${name} ${when} -F`);
    if (c.subcommands.length === 0 && c.args.kind === 'choices') lines.push(`complete -c ${name} ${when} -x -a ${fishText(c.args.choices.join(' '))}`);
  }
  const arms = allCommands(root)
    .flatMap((c) => c.subcommands.map((s) => `            case ${fishText(`${c.path} ${s.name}`)}\n                set cmd ${fishText(s.path)}`))
    .join('\n');
  return `# fish completion for ${name}; generated by \`${name} completion fish\`.
# Install it:  ${name} completion fish > ~/.config/fish/completions/${name}.fish
# True when the command being typed is $argv[1] (e.g. 'iochunt iocs stats').
function __${name}_is
    set -l cmd ${name}
    set -l words (commandline -opc)
    for w in $words[2..-1]
        switch "$cmd $w"
${arms}
        end
    end
    test "$cmd" = "$argv[1]"
end
complete -c ${name} -f
${lines.join('\n')}
`;
}
