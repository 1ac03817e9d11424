/** Text of the key pages: PIN change by the user, recovery code regeneration by an admin. */
export const KEY_MESSAGES = {
  pinChange: {
    link: 'PINの変更',
    title: 'PINの変更',
    help: '装置（PINパッド）で使うPINを変更します。今のPINで金庫の鍵を開き、新しいPINで包み直します。古いPINはすぐに使えなくなります。',
    currentPin: '今のPIN',
    newPin: '新しいPIN（6〜12桁の数字、同じ数字の並びや123456のような連続は不可）',
    confirmPin: '新しいPIN（確認のためもう一度）',
    submit: 'PINを変更',
    done: 'PINを変更しました。次回から新しいPINを使ってください。',
  },
  recovery: {
    link: '回復コードの再発行',
    title: '回復コードの再発行',
    help: '新しい回復コードを作成し、今の回復コードを使えなくします。回復コードの用紙をなくしたとき、見られたおそれがあるとき、保管者が替わるときに行います。',
    warning: '再発行すると、金庫に保管している今の回復コードの用紙は使えなくなります。新しいコードは一度だけ表示されます。',
    adminPin: 'あなた（管理者）のPIN',
    submit: '回復コードを再発行',
    shownTitle: '新しい回復コード',
    shownHelp: 'このコードは今だけ表示され、どこにも保存されません。この画面を印刷するか正確に書き写し、封筒に入れて金庫に保管してください。古い回復コードの用紙はシュレッダーで破棄してください。',
    print: '印刷する（ブラウザーの印刷機能を使ってください）',
    back: '利用者の管理に戻る',
  },
} as const;
