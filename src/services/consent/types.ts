export type ConsentStatus = 'granted' | 'suppressed' | 'withdrawn' | 'erased';
export type SubjectKind = 'email' | 'domain';
