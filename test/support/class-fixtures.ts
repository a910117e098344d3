/**
 * The Phase-12 class row of reference/wecoza-pipeline.md §8, shared by the unit tests of the
 * obfuscator and the pipeline tests (which add contact data to the learner).
 */
export const REFERENCE_CLASS_ROW = {
  class_code: 'IMP021813',
  class_subject: 'LO4',
  client_id: 12,
  site_id: 7,
  class_type: 'Oral Assessment',
  class_duration: 90,
  class_agent: 3,
  original_start_date: '2026-02-27',
  exam_class: true,
  seta_funded: false,
  learner_ids: [{ id: 42, name: 'Thandi Mokoena', level: 'NL2', status: 'CIC - Currently in Class' }],
  event_dates: [{ type: 'Deliveries', description: 'Supplementary books', date: '2026-02-27', status: 'Pending', notes: '' }],
  schedule_data: { selectedDays: ['Monday', 'Thursday'], startDate: '2026-02-27' },
};
