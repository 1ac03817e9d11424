/**
 * Success messages shown after an action that returns to a page (`?done=<key>`),
 * read by views as `m.done`. A key not listed shows nothing (never the query text).
 */
export const DONE_MESSAGES = {
  person: {
    registered: '登録しました。続けて個人番号の取得（番号の入力・本人入力用コードの発行）ができます。',
    updated: '変更を保存しました。',
    dependant: '扶養親族を登録しました。',
    retire: '退職（取引終了）の日を記録しました。保存期間はこの日から数えます。',
    'end-dependant': '扶養から外れた日（異動）を記録しました。',
    number: '個人番号を登録しました。続けて本人確認を記録してください。',
    identity: '本人確認を記録しました。',
    hold: '廃棄の保留を設定しました。',
    hold_cleared: '廃棄の保留を解除しました。',
    final_payment: '最後の支払日を記録しました。',
    role: '役割を記録しました。',
    co_approval: '共同承認を記録しました。',
  } as Record<string, string>,
  campaignCreated: 'キャンペーンを作りました。「未発行の人に入力コードを発行」で入力コードを発行し、案内文を印刷してください。',
  disposalProposed: '廃棄を提案しました。事務取扱責任者の承認を待っています。',
  /** A page waiting for the appliance (PIN enrolment, card reading) reloads itself until it is stopped. */
  autoRefresh: 'この画面は {n} 秒ごとに自動で最新の状態に更新されます。',
  autoRefreshStop: '自動更新を止める',
  autoRefreshStopped: '自動更新を止めました。最新の状態はブラウザーの再読み込みで表示されます。',
} as const;
