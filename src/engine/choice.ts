/** The names `--engine` accepts (a module of its own: the command line needs them, not the engines). */
export type EngineChoice = 'auto' | 'native' | 'js';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'native', 'js'];
