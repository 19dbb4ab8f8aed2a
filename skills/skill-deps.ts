import type { CommerceResolver } from '../commerce/commerce-resolver';
import type { KnowledgeSource } from './knowledge-source';

/** What skills are built with (main.ts provides it). */
export interface SkillDeps {
  knowledge: KnowledgeSource;
  /** The shop's commerce backend, from its settings (undefined when none is configured). */
  commerce: CommerceResolver;
}
