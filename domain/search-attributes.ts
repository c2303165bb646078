// The pipeline's typed search attributes. Workflows upsert them so the Temporal UI's list can be
// filtered by release, family, stage…; the local stack registers them when it starts the dev
// server, and a production cluster needs them created once (README "Production").
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const FedoraRelease = defineSearchAttributeKey('FedoraRelease', SearchAttributeType.KEYWORD);
export const ImageFamily = defineSearchAttributeKey('ImageFamily', SearchAttributeType.KEYWORD);
export const ImageKind = defineSearchAttributeKey('ImageKind', SearchAttributeType.KEYWORD);
export const ImageStage = defineSearchAttributeKey('ImageStage', SearchAttributeType.KEYWORD);
export const KojiTaskId = defineSearchAttributeKey('KojiTaskId', SearchAttributeType.INT);
export const Arches = defineSearchAttributeKey('Arches', SearchAttributeType.KEYWORD_LIST);

/** Name -> type as the `temporal operator search-attribute create` / start-dev flags spell it. */
export const SEARCH_ATTRIBUTES: Readonly<Record<string, 'Keyword' | 'Int' | 'KeywordList'>> = {
  FedoraRelease: 'Keyword',
  ImageFamily: 'Keyword',
  ImageKind: 'Keyword',
  ImageStage: 'Keyword',
  KojiTaskId: 'Int',
  Arches: 'KeywordList',
};

/** Set by Temporal on every run a Schedule starts: the slot's nominal time, not the actual start. */
export const TemporalScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);
