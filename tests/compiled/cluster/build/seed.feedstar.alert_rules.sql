create table `analytics`.`alert_rules`
    ON CLUSTER "feedstar"  ("rule_id" String,"metric" String,"slice" String,"method" String,"window" String,"threshold" Float64,"min_volume" Float64,"min_change" Float64,"severity" String,"direction" String,"description" String)
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
      order by (tuple())
;
insert into `analytics`.`alert_rules` ("rule_id", "metric", "slice", "method", "window", "threshold", "min_volume", "min_change", "severity", "direction", "description")
      format CSV
      feed_users,feed_users,all,iqr,4w,1.5,50,0.3,critical,below,Users viewing or liking in the slot against the same slot on the same weekday of the 4 previous weeks
active_users,active_users,all,iqr,4w,1.5,50,0.25,critical,below,Users of either service in the slot against the same slot of the 4 previous same weekdays
feed_views,feed_views,all,iqr,4w,1.5,200,0.55,warning,below,Feed views (bursty: a user's views come together) against the same slot of the 4 previous same weekdays
likes,likes,all,iqr,4w,1.5,50,0.55,warning,below,Likes of the slot against the same slot of the 4 previous same weekdays
ctr,ctr,all,sigma,3h,4,300,0.3,warning,both,CTR of the slot against the mean and standard deviation of the 12 slots before it (CTR has no daily curve)
messages,messages,all,iqr,4w,1.5,30,0.55,critical,below,Messages sent in the slot against the same slot of the 4 previous same weekdays
senders,senders,all,iqr,4w,1.5,20,0.55,warning,below,Users sending in the slot against the same slot of the 4 previous same weekdays
feed_users_by_os,feed_users,os,iqr,4w,1.5,40,0.4,warning,below,Feed users per os (a broken app release)
messages_by_os,messages,os,iqr,4w,1.5,20,0.7,warning,below,Messages per os (a broken app release)
feed_users_by_source,feed_users,source,iqr,4w,1.5,40,0.4,warning,below,Feed users per acquisition source
;
