/** Text of the account pages: password change and reset, name and role edits, confirmations and done notes. */
export const ACCOUNT_MESSAGES = {
  password: {
    link: 'パスワードの変更',
    title: 'パスワードの変更',
    help: 'サインインに使うパスワードを変更します。変更すると、ほかの端末でのサインインは終了します。',
    forced: '管理者がパスワードを再設定しました。続けるには、新しいパスワードを決めてください（仮のパスワードは今回だけ使えます）。',
    current: '今のパスワード',
    currentForced: '仮のパスワード（管理者から伝えられたもの）',
    next: '新しいパスワード（12文字以上）',
    confirm: '新しいパスワード（確認のためもう一度）',
    submit: 'パスワードを変更',
    done: 'パスワードを変更しました。',
  },
  reset: {
    link: 'パスワードを再設定',
    title: 'パスワードの再設定',
    help: '仮のパスワードを設定します。本人は次のサインインで仮のパスワードを入れ、すぐに自分のパスワードに変えます。この利用者のサインイン中の画面は終了し、サインインのロックも解除されます。',
    password: '仮のパスワード（12文字以上。本人に口頭か手渡しで伝えてください）',
    submit: '仮のパスワードを設定',
  },
  edit: {
    link: '氏名・役割の変更',
    title: '利用者の変更',
    help: '役割を変えると、その利用者のサインイン中の画面は終了します（新しい役割で入り直します）。変更は監査記録に残ります。',
    submit: '変更を保存',
  },
  /** Shown after a redirect (?done=…) on the users page. */
  done: {
    created: '利用者を追加しました。',
    disable: '利用者を無効にしました。',
    enable: '利用者を有効にしました。',
    unlock: 'サインインのロックを解除しました。',
    'unlock-pin': 'PINのロックを解除しました。',
    pin: 'PINを設定しました。',
    updated: '氏名・役割を変更しました。',
    reset: '仮のパスワードを設定しました。本人に伝えてください。次のサインインで変更を求められます。',
  } as Record<string, string>,
  confirm: {
    title: '確認',
    back: 'やめて戻る',
    disposal: {
      title: '廃棄の承認',
      message: '承認すると、この提案に含まれる人の個人番号は直ちに削除され、元に戻せません。よろしいですか。',
      submit: '承認して削除する',
    },
    retire: {
      title: '過去の日付での記録',
      message: '{label}に過去の日付（{date}）が入っています。保存期間はこの日から数えられます。日付に誤りがないか確かめてください。',
      submit: 'この日付で記録する',
    },
    revoke: {
      title: 'セキュリティキーの失効',
      message: 'このキー（{name}）を失効させると、二度と承認に使えません（元に戻せません）。使い続けるには登録し直しが必要です。',
      submit: '失効させる',
    },
  },
  formHasErrors: '入力に誤りがあります。各項目の説明に沿って直してください。',
  doneRevoked: 'セキュリティキーを失効させました。',
  doneDisposalCancelled: '廃棄の提案を取り消しました。',
  doneErased: 'バックアップの消去を記録しました。',
} as const;
